using System.Runtime.CompilerServices;
using Repro.Engine;

namespace Repro.Nn;

/// <summary>Registers this assembly with the dispatcher so that source locations found from the stack skip layers and point at user code.</summary>
internal static class NnLibrary
{
    // A library module initializer is deliberate here: registration must happen before the first layer emits an op,
    // whichever type the user touches first.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        // Calls this library makes to the tensor API are located at the user's call into the library.
        Dispatcher.AddLibrarySources(ThisFile(), isFile: true);
        lock (Dispatcher.LibraryAssemblies)
        {
            if (!Dispatcher.LibraryAssemblies.Contains(typeof(NnLibrary).Assembly))
            {
                Dispatcher.LibraryAssemblies.Add(typeof(NnLibrary).Assembly);
            }
        }
    }

    private static string ThisFile([CallerFilePath] string file = "") => file;
}
