// breast-cancer-logreg: see Repro.Samples for the workload; this program only parses flags and prints results.
return Repro.Samples.SampleCli.Main("breast-cancer-logreg", args);
