const t0 = Date.now();
const { runAdapterContract } = await import('/work/wt/confadapter/conformance/contract/run.ts');
const a = (await import(process.argv[2]!)).default;
const t1 = Date.now();
const { report, evidence } = await runAdapterContract({ adapter: a });
const t2 = Date.now();
const ev = evidence.trim().split('\n').map((l) => JSON.parse(l));
console.log(`import ${t1 - t0}; run ${t2 - t1}: started→first note ${ev[0].t - Date.parse(report.started)}, phases ${ev.at(-1).t - ev[0].t}, last note→ended ${Date.parse(report.ended) - ev.at(-1).t}, ended→return ${t2 - Date.parse(report.ended)}; verdict ${report.verdict}`);
process.exit(0);
