using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Tarmac.MicroBench.ValidatorBenchmarks).Assembly).Run(args);
