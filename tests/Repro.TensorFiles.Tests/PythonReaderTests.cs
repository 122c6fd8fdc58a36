using System.ComponentModel;
using Newtonsoft.Json.Linq;
using Repro.Engine;
using Repro.Tests.Shared;

namespace Repro.TensorFiles.Tests;

/// <summary>
/// The files as Python reads them: its own struct, json and ast.literal_eval (which is how NumPy itself parses a .npy
/// header), and numpy.load where NumPy is installed. Skips where there is no python3.
/// </summary>
public sealed class PythonReaderTests
{
    private const string Script = """
        import ast, json, struct, sys

        FORMATS = {'<f4': 'f', '<f8': 'd', '<i4': 'i', '<f2': 'e', 'F32': 'f', 'F64': 'd', 'I32': 'i', 'F16': 'e'}

        def values(code, count, raw):
            if code == 'BF16':
                return [struct.unpack('<f', struct.pack('<I', h << 16))[0] for h in struct.unpack('<%dH' % count, raw)]
            return list(struct.unpack('<%d%s' % (count, FORMATS[code]), raw))

        def numel(shape):
            n = 1
            for d in shape:
                n *= d
            return n

        def npy(path):
            b = open(path, 'rb').read()
            assert b[:8] == b'\x93NUMPY\x01\x00', 'magic and version'
            (n,) = struct.unpack('<H', b[8:10])
            assert (10 + n) % 64 == 0 and b[9 + n:10 + n] == b'\n', 'alignment'
            h = ast.literal_eval(b[10:10 + n].decode('latin1'))
            assert sorted(h) == ['descr', 'fortran_order', 'shape'] and h['fortran_order'] is False, h
            data = b[10 + n:]
            out = {'descr': h['descr'], 'shape': list(h['shape']), 'values': values(h['descr'], numel(h['shape']), data)}
            assert len(data) == numel(h['shape']) * struct.calcsize(FORMATS[h['descr']]), 'data length'
            if np is not None:
                a = np.load(path)
                assert list(a.shape) == out['shape'] and a.dtype.str == h['descr'], (a.shape, a.dtype)
                assert [float(v) for v in a.ravel()] == [float(v) for v in out['values']], 'numpy values'
            return out

        def safetensors(path):
            b = open(path, 'rb').read()
            (n,) = struct.unpack('<Q', b[:8])
            header = json.loads(b[8:8 + n].decode('utf-8'))
            data = b[8 + n:]
            out = {'__metadata__': header.pop('__metadata__', None), 'order': list(header), 'tensors': {}}
            spans = sorted(tuple(t['data_offsets']) for t in header.values())
            assert [s[0] for s in spans] == [0] + [s[1] for s in spans[:-1]] and spans[-1][1] == len(data), spans
            for name, t in header.items():
                lo, hi = t['data_offsets']
                out['tensors'][name] = {'dtype': t['dtype'], 'shape': t['shape'], 'values': values(t['dtype'], numel(t['shape']), data[lo:hi])}
            return out

        try:
            import numpy as np
        except ImportError:
            np = None
        print(json.dumps({'numpy': np is not None, 'npy': [npy(p) for p in sys.argv[2:]], 'safetensors': safetensors(sys.argv[1])}))
        """;

    [SkippableFact]
    public void Python_reads_the_values_that_were_written()
    {
        var dir = Directory.CreateTempSubdirectory("repro-tensorfiles-").FullName;
        try
        {
            var tensors = Samples.All();
            var st = Path.Combine(dir, "t.safetensors");
            Safetensors.Save(st, tensors, [new("format", "pt")]);
            var npys = tensors.ConvertAll(t => Path.Combine(dir, t.Key + ".npy"));
            for (int i = 0; i < tensors.Count; i++)
            {
                Npy.Save(npys[i], tensors[i].Value);
            }

            var script = Path.Combine(dir, "read.py");
            File.WriteAllText(script, Script);
            ChildResult r;
            try
            {
                r = ChildProcess.Wait(ChildProcess.Start("python3", [script, st, .. npys]), "python3 read.py");
            }
            catch (Win32Exception ex)
            {
                Skip.If(true, "no python3: " + ex.Message);
                return;
            }

            Assert.True(r.ExitCode == 0, r.ToString());
            var doc = JObject.Parse(r.Stdout);
            var sf = doc["safetensors"]!;
            Assert.Equal("pt", (string?)sf["__metadata__"]!["format"]);
            Assert.Equal(tensors.Select(t => t.Key), sf["order"]!.Select(n => (string)n!));
            for (int i = 0; i < tensors.Count; i++)
            {
                var (name, t) = tensors[i];
                var expected = Samples.Values(t);
                var fromSt = sf["tensors"]![name]!;
                Assert.Equal(Safetensors.Code(t.DType), (string?)fromSt["dtype"]);
                Assert.Equal(t.Shape, fromSt["shape"]!.Select(d => (int)d));
                Assert.Equal(expected, fromSt["values"]!.Select(v => (double)v));

                var fromNpy = doc["npy"]![i]!;
                Assert.Equal(Npy.Descr(t.DType == DType.BFloat16 ? DType.Float32 : t.DType), (string?)fromNpy["descr"]);
                Assert.Equal(t.Shape, fromNpy["shape"]!.Select(d => (int)d));
                Assert.Equal(expected, fromNpy["values"]!.Select(v => (double)v));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
