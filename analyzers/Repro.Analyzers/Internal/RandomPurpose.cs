using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Repro.Analyzers.Internal;

/// <summary>What an unseeded generator is for, judged from the names around it.</summary>
internal enum RandomPurpose
{
    /// <summary>Nothing says otherwise: its numbers may feed results.</summary>
    Results,

    /// <summary>
    /// A value that must be unpredictable (a secret, token, key, salt, nonce, password): a security question, where a
    /// seed would be wrong and <c>System.Random</c> is already the wrong generator (CA5394's concern, not ours).
    /// </summary>
    Security,

    /// <summary>A colour, an animation, retry jitter: varies by design and feeds no result worth reproducing.</summary>
    Cosmetic,
}

/// <summary>
/// Classifies the use of an unseeded <c>Random</c> by the names it meets: the variable, field or property it is stored
/// in, the enclosing member, the parameters its numbers are passed to and the variables they are stored in (one step
/// through a local or a field of the same method).
/// </summary>
internal static class RandomPurposes
{
    private static readonly HashSet<string> SecurityWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "secret", "secrets", "token", "tokens", "salt", "nonce", "password", "passwords", "passwd", "pwd", "passphrase", "otp",
        "csrf", "xsrf", "credential", "credentials", "hmac", "cipher", "crypto", "encrypt", "encryption", "signing", "apikey",
        "captcha", "totp",
    };

    /// <summary>Words that make a following "key" (or "id") a secret: apiKey, privateKey, sessionId.</summary>
    private static readonly HashSet<string> KeyQualifiers = new(StringComparer.OrdinalIgnoreCase)
    {
        "api", "private", "secret", "encryption", "signing", "access", "session", "aes", "auth", "master", "shared",
    };

    private static readonly HashSet<string> CosmeticWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "color", "colors", "colour", "colours", "hue", "tint", "brush", "rgb", "argb", "palette", "jitter", "backoff",
        "animation", "animate", "confetti", "avatar", "splash", "greeting", "emoji", "sparkle", "twinkle", "wobble",
    };

    /// <summary>The purpose, and the name that decided it (null for <see cref="RandomPurpose.Results"/>).</summary>
    public static (RandomPurpose Purpose, string? Name) Classify(IOperation generator, ISymbol? containingSymbol)
    {
        var names = new List<string>();
        if (containingSymbol is not null)
            names.Add(containingSymbol is IMethodSymbol { AssociatedSymbol: { } property } ? property.Name : containingSymbol.Name);

        CollectNames(generator, generator.Root(), names, 0);

        string? cosmetic = null;
        foreach (var name in names)
        {
            var words = Words(name);
            for (var i = 0; i < words.Count; i++)
            {
                var word = words[i];
                if (SecurityWords.Contains(word)
                    || (word.Equals("key", StringComparison.OrdinalIgnoreCase) || word.Equals("id", StringComparison.OrdinalIgnoreCase)
                        || word.Equals("keys", StringComparison.OrdinalIgnoreCase))
                        && i > 0 && KeyQualifiers.Contains(words[i - 1]))
                {
                    return (RandomPurpose.Security, name);
                }

                if (cosmetic is null && CosmeticWords.Contains(word))
                    cosmetic = name;
            }
        }

        return cosmetic is null ? (RandomPurpose.Results, null) : (RandomPurpose.Cosmetic, cosmetic);
    }

    /// <summary>Follows the value (the generator, then the numbers drawn from it) up to where it is stored or passed.</summary>
    private static void CollectNames(IOperation value, IOperation root, List<string> names, int depth)
    {
        var current = value;
        while (true)
        {
            var parent = current.UsefulParent();
            switch (parent)
            {
                case IInvocationOperation call when call.Instance?.Unwrap() == current.Unwrap():
                    // rng.NextBytes(buffer): the buffer's name; rng.Next(): follow the number.
                    foreach (var argument in call.Arguments)
                    {
                        if (argument.Value.ReferencedSymbol() is { } target)
                            names.Add(target.Name);
                    }

                    current = call;
                    continue;
                case IPropertyReferenceOperation or IBinaryOperation or IUnaryOperation or IConditionalOperation
                    or IInterpolatedStringOperation or IInterpolationOperation or IConversionOperation:
                    current = parent;
                    continue;
                case IInvocationOperation call:
                    names.Add(call.TargetMethod.Name);
                    names.Add(call.TargetMethod.ContainingType.Name);
                    current = call;
                    continue;
                case IArgumentOperation argument:
                    if (argument.Parameter is { } parameter)
                        names.Add(parameter.Name);
                    if (argument.Parent is IObjectCreationOperation { Type: { } created })
                        names.Add(created.Name);
                    current = argument;
                    continue;
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    names.Add(declarator.Symbol.Name);
                    if (depth < 1)
                        FollowUses(declarator.Symbol, root, names, depth);
                    return;
                case IFieldInitializerOperation field:
                    foreach (var initialized in field.InitializedFields)
                        names.Add(initialized.Name);
                    return;
                case IPropertyInitializerOperation property:
                    foreach (var initialized in property.InitializedProperties)
                        names.Add(initialized.Name);
                    return;
                case ISimpleAssignmentOperation assignment when assignment.Value.Unwrap() == current.Unwrap():
                    if (assignment.Target.ReferencedSymbol() is { } stored)
                    {
                        names.Add(stored.Name);
                        if (depth < 1 && stored is ILocalSymbol)
                            FollowUses(stored, root, names, depth);
                    }

                    return;
                default:
                    return;
            }
        }
    }

    private static void FollowUses(ISymbol symbol, IOperation root, List<string> names, int depth)
    {
        foreach (var use in root.ReferencesTo(symbol))
            CollectNames(use, root, names, depth + 1);
    }

    /// <summary>Splits an identifier into words at case changes, digits and underscores: "apiKeyBytes" gives api, Key, Bytes.</summary>
    internal static List<string> Words(string name)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= name.Length; i++)
        {
            var c = i < name.Length ? name[i] : '_';
            var boundary = !char.IsLetter(c)
                || start >= 0 && char.IsUpper(c) && (char.IsLower(name[i - 1]) || i + 1 < name.Length && char.IsLower(name[i + 1]));
            if (boundary && start >= 0)
            {
                words.Add(name.Substring(start, i - start));
                start = -1;
            }

            if (char.IsLetter(c) && start < 0)
                start = i;
        }

        return words;
    }
}
