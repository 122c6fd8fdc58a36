using System.Runtime.CompilerServices;

namespace Repro.Engine.Numerics;

// Polynomial kernels of DetMath. Every coefficient set is our own near-minimax fit: Chebyshev interpolation
// of the stated function with mpmath.chebyfit at 60 significant digits, each coefficient rounded to the nearest
// double; the comment on each kernel gives the interval and the fit's maximum relative error measured with the
// rounded coefficients. Evaluation is Horner's rule with explicit fused multiply-adds only.
public static partial class DetMath<TFma>
    where TFma : struct, IFma
{
    // Degree-10 fit of (exp(r) - 1 - r) / r^2 for |r| <= 0.3501 (ln2/2 with 1% margin); max relative error of the fit 4.836e-18 (2^-57.5).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ExpPoly(double r)
    {
        double p = 2.0915442297780116e-09;
        p = Fma(p, r, 2.5106274733573296e-08);
        p = Fma(p, r, 2.75572718102198e-07);
        p = Fma(p, r, 2.755725283351691e-06);
        p = Fma(p, r, 2.4801587327007187e-05);
        p = Fma(p, r, 0.00019841269876864356);
        p = Fma(p, r, 0.0013888888888883327);
        p = Fma(p, r, 0.008333333333325544);
        p = Fma(p, r, 0.04166666666666667);
        p = Fma(p, r, 0.1666666666666667);
        p = Fma(p, r, 0.5);
        return p;
    }

    // Degree-7 fit of (2 atanh(s)/s - 2) / z, z = s^2, for 0 <= z <= 0.02944 (|s| <= (sqrt2 - 1)/(sqrt2 + 1)); max relative error of the fit 5.551e-17 (2^-54.0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double LogPoly(double z)
    {
        double p = 0.13086767009948175;
        p = Fma(p, z, 0.13268759668560612);
        p = Fma(p, z, 0.15386240205813478);
        p = Fma(p, z, 0.18181795630884753);
        p = Fma(p, z, 0.2222222239180047);
        p = Fma(p, z, 0.2857142857080323);
        p = Fma(p, z, 0.4000000000000088);
        p = Fma(p, z, 0.6666666666666666);
        return p;
    }

    // Degree-7 fit of (2 atanh(s)/s - 2 - 2z/3) / z^2, z = s^2, for 0 <= z <= 0.02944; max relative error of the fit 6.453e-17 (2^-53.8).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double LogTailPoly(double z)
    {
        double p = 0.11723178623876518;
        p = Fma(p, z, 0.11706236339491206);
        p = Fma(p, z, 0.1333480469384731);
        p = Fma(p, z, 0.1538459496251843);
        p = Fma(p, z, 0.18181818335392802);
        p = Fma(p, z, 0.22222222221655885);
        p = Fma(p, z, 0.28571428571429364);
        p = Fma(p, z, 0.4);
        return p;
    }

    // Degree-14 fit of (expm1(x) - x) / x^2 for |x| <= 1; max relative error of the fit 2.633e-17 (2^-55.1).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Expm1Poly(double x)
    {
        double p = 4.838397490830109e-14;
        p = Fma(p, x, 7.753289909061301e-13);
        p = Fma(p, x, 1.1469860083749003e-11);
        p = Fma(p, x, 1.6057448519013338e-10);
        p = Fma(p, x, 2.0876763758519634e-09);
        p = Fma(p, x, 2.505212058452295e-08);
        p = Fma(p, x, 2.755731919627328e-07);
        p = Fma(p, x, 2.7557319174051555e-06);
        p = Fma(p, x, 2.4801587301645516e-05);
        p = Fma(p, x, 0.0001984126984137474);
        p = Fma(p, x, 0.0013888888888888835);
        p = Fma(p, x, 0.008333333333333236);
        p = Fma(p, x, 0.041666666666666664);
        p = Fma(p, x, 0.16666666666666666);
        p = Fma(p, x, 0.5);
        return p;
    }

    // Degree-10 fit of (tanh(x) - x) / x^3 as a function of z = x^2, 0 <= z <= 0.3025 (|x| <= 0.55); max relative error of the fit 5.551e-17 (2^-54.0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double TanhPoly(double z)
    {
        double p = -2.060276537636634e-05;
        p = Fma(p, z, 8.511313685577672e-05);
        p = Fma(p, z, -0.0002346347410887237);
        p = Fma(p, z, 0.0005889360520074057);
        p = Fma(p, z, -0.001455661830100716);
        p = Fma(p, z, 0.003592110378689024);
        p = Fma(p, z, -0.008863234397814355);
        p = Fma(p, z, 0.021869488493666944);
        p = Fma(p, z, -0.053968253967434016);
        p = Fma(p, z, 0.13333333333332714);
        p = Fma(p, z, -0.3333333333333333);
        return p;
    }

    // Degree-12 fit of erf(x) / x - 1 as a function of z = x^2, 0 <= z <= 1; max relative error of the fit 1.559e-17 (2^-55.8).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ErfPoly(double z)
    {
        double p = 5.957176147748911e-11;
        p = Fma(p, z, -1.1372848856791674e-09);
        p = Fma(p, z, 1.4659775274047436e-08);
        p = Fma(p, z, -1.6350312701054695e-07);
        p = Fma(p, z, 1.6461000484121368e-06);
        p = Fma(p, z, -1.4925595266831182e-05);
        p = Fma(p, z, 0.0001205533111164271);
        p = Fma(p, z, -0.000854832698083379);
        p = Fma(p, z, 0.0052239776248180145);
        p = Fma(p, z, -0.026866170645076792);
        p = Fma(p, z, 0.11283791670954879);
        p = Fma(p, z, -0.3761263890318375);
        p = Fma(p, z, 0.12837916709551256);
        return p;
    }

    // Degree-15 fit of erfc(x) exp(x^2) at x = 1.5 + t, |t| <= 0.5; max relative error of the fit 7.849e-17 (2^-53.5).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ErfcScaledPoly1(double t)
    {
        double p = -4.932844202000261e-08;
        p = Fma(p, t, 1.8038197652346406e-07);
        p = Fma(p, t, -5.946998373950516e-07);
        p = Fma(p, t, 2.061689065129881e-06);
        p = Fma(p, t, -6.975285854904505e-06);
        p = Fma(p, t, 2.286543658874603e-05);
        p = Fma(p, t, -7.265888759557882e-05);
        p = Fma(p, t, 0.00022330981211640024);
        p = Fma(p, t, -0.0006619300686179933);
        p = Fma(p, t, 0.0018861348854630824);
        p = Fma(p, t, -0.005145957547915988);
        p = Fma(p, t, 0.013377340952802835);
        p = Fma(p, t, -0.03293090529956347);
        p = Fma(p, t, 0.07615103985548055);
        p = Fma(p, t, -0.16362291773256007);
        p = Fma(p, t, 0.3215854164543175);
        return p;
    }

    // Degree-14 fit of erfc(x) exp(x^2) at x = 2.75 + t, |t| <= 0.75; max relative error of the fit 1.915e-15 (2^-48.9).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ErfcScaledPoly2(double t)
    {
        double p = 1.8069520510416326e-09;
        p = Fma(p, t, -8.01181001890603e-09);
        p = Fma(p, t, 3.105710607611476e-08);
        p = Fma(p, t, -1.3192706697647487e-07);
        p = Fma(p, t, 5.520418140550562e-07);
        p = Fma(p, t, -2.247676321583971e-06);
        p = Fma(p, t, 8.940140785092413e-06);
        p = Fma(p, t, -3.469853951374473e-05);
        p = Fma(p, t, 0.00013118180233874277);
        p = Fma(p, t, -0.0004821950932829294);
        p = Fma(p, t, 0.001719581885194874);
        p = Fma(p, t, -0.005934337896564839);
        p = Fma(p, t, 0.019758592987324287);
        p = Fma(p, t, -0.06323763756064137);
        p = Fma(p, t, 0.1936620962790687);
        return p;
    }

    // Degree-12 fit of erfc(x) exp(x^2) at x = 4.75 + t, |t| <= 1.25; max relative error of the fit 1.425e-12 (2^-39.4).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ErfcScaledPoly3(double t)
    {
        double p = 2.136625977914233e-10;
        p = Fma(p, t, -1.2539231843294967e-09);
        p = Fma(p, t, 6.184507649360792e-09);
        p = Fma(p, t, -3.524796365868836e-08);
        p = Fma(p, t, 2.0034698237166781e-07);
        p = Fma(p, t, -1.1118981029544583e-06);
        p = Fma(p, t, 6.08108930382966e-06);
        p = Fma(p, t, -3.277562949007631e-05);
        p = Fma(p, t, 0.0001739283089901235);
        p = Fma(p, t, -0.0009080989267613732);
        p = Fma(p, t, 0.004661326368695728);
        p = Fma(p, t, -0.023503448596501476);
        p = Fma(p, t, 0.11630270721024731);
        return p;
    }

    // Degree-6 fit of (sin(r) - r) / r^3 as a function of z = r^2, 0 <= z <= 0.6293 ((1.01 pi/4)^2); max relative error of the fit 5.804e-17 (2^-53.9).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double SinPoly(double z)
    {
        double p = -7.585486485235938e-13;
        p = Fma(p, z, 1.6058510875319195e-10);
        p = Fma(p, z, -2.505210610025599e-08);
        p = Fma(p, z, 2.7557319218954762e-06);
        p = Fma(p, z, -0.00019841269841264567);
        p = Fma(p, z, 0.008333333333333331);
        p = Fma(p, z, -0.16666666666666666);
        return p;
    }

    // Degree-6 fit of (cos(r) - 1) / r^2 as a function of z = r^2, 0 <= z <= 0.6293; max relative error of the fit 3.297e-18 (2^-58.1).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double CosPoly(double z)
    {
        double p = -1.1365942454032322e-11;
        p = Fma(p, z, 2.0875851505773207e-09);
        p = Fma(p, z, -2.755731534181856e-07);
        p = Fma(p, z, 2.4801587293040553e-05);
        p = Fma(p, z, -0.0013888888888879927);
        p = Fma(p, z, 0.04166666666666663);
        p = Fma(p, z, -0.5);
        return p;
    }
}
