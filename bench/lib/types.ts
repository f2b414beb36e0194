export interface BenchContext {
  quick: boolean;
  log(message: string): void;
}

export interface Benchmark {
  /** Short name used on the command line (`npm run bench -- NAME`) and as the results file name. */
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<{ markdown: string; data: unknown }>;
}
