namespace Repro.Onnx;

/// <summary>
/// A model or input that cannot be used: damaged or hostile protobuf, an unsupported operator or attribute, a tensor
/// whose data does not match its shape. The message is one line naming the node, operator, attribute or value.
/// </summary>
/// <remarks>A <see cref="FormatException"/>, so callers that map bad input to exit code 2 need nothing new.</remarks>
public sealed class OnnxException(string message, Exception? inner = null) : FormatException(message, inner);
