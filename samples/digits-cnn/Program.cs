// digits-cnn: see Repro.Samples for the workload; this program only parses flags and prints results.
return Repro.Samples.SampleCli.Main("digits-cnn", args);
