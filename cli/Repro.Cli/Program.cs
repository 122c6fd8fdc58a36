using Repro.Cli;

return Cli.Run(args);
