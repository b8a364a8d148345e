using Tarmac.Bench;

return await BenchRunner.RunAsync(BenchOptions.Parse(args));
