// Runs a trailwatch ASL file with aws-local-stepfunctions (library API, Node 22).
//   node run.mjs CONFIG.json [INPUT_JSON]   (input from stdin when not given)
// CONFIG: {
//   "definition": "path/to/file.asl.json",
//   "substitutions": {"Name": "value"},             // SAM DefinitionSubstitutions
//   "tasks": {"State": ["cmd", "arg", ...]},        // run cmd ... <state input JSON>; stdout is the result
//   "sns": {"State": "http://127.0.0.1:PORT"},      // an sns:publish Task, sent to this SNS endpoint
//   "executions": {"State": "child-config.json"},  // a states:startExecution.sync:2 Task, run here
//   "waits": {"State": ms}, "retries": {"State": ms}
// }
// Prints one JSON line: {"status", "output" | "error"+"cause", "transitions", "entered": {state: n},
//   "retried": {state: n}}; transitions count, as AWS bills them, every state entered and every retry.
// A command that exits non-zero fails its Task with the errorType it printed (as Lambda reports it),
// so Retry and Catch match the same names as on AWS.
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { StateMachine } from 'aws-local-stepfunctions';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let text = readFileSync(config.definition, 'utf8');
for (const [k, v] of Object.entries(config.substitutions ?? {})) text = text.split('${' + k + '}').join(v);
const definition = JSON.parse(text);
const input = JSON.parse(process.argv[3] ?? readFileSync(0, 'utf8'));

function run(cmd, arg) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], [...cmd.slice(1), arg], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      let parsed;
      try { parsed = JSON.parse(out); } catch { parsed = { errorType: 'States.TaskFailed', errorMessage: out }; }
      if (code === 0) return resolve(parsed);
      const e = new Error(parsed.errorMessage ?? parsed.cause ?? out);
      e.name = parsed.errorType ?? parsed.error ?? 'States.TaskFailed';
      reject(e);
    });
  });
}

async function publish(endpoint, p) {
  // Step Functions' SNS integration sends an object Message as its JSON text.
  const message = typeof p.Message === 'string' ? p.Message : JSON.stringify(p.Message);
  const form = new URLSearchParams({ Action: 'Publish', Version: '2010-03-31', TopicArn: p.TopicArn, Message: message });
  if (p.Subject) form.set('Subject', p.Subject);
  Object.entries(p.MessageAttributes ?? {}).forEach(([name, v], i) => {
    form.set(`MessageAttributes.entry.${i + 1}.Name`, name);
    form.set(`MessageAttributes.entry.${i + 1}.Value.DataType`, v.DataType);
    form.set(`MessageAttributes.entry.${i + 1}.Value.StringValue`, v.StringValue);
  });
  const res = await fetch(endpoint, { method: 'POST', body: form });
  const body = await res.text();
  if (!res.ok) { const e = new Error(body); e.name = 'SNS.SnsException'; throw e; }
  return { MessageId: /<MessageId>([^<]+)</.exec(body)?.[1] };
}

const handlers = {};
for (const [state, cmd] of Object.entries(config.tasks ?? {})) handlers[state] = (i) => run(cmd, JSON.stringify(i));
for (const [state, endpoint] of Object.entries(config.sns ?? {})) handlers[state] = (i) => publish(endpoint, i);
// The child execution gets the task's `Input`, as StartExecution passes it.
const self = new URL(import.meta.url).pathname;
for (const [state, child] of Object.entries(config.executions ?? {})) {
  handlers[state] = (i) => run([process.execPath, self, child], JSON.stringify(i.Input));
}

const sm = new StateMachine(definition, { validationOptions: { checkArn: false } });
const execution = sm.run(input, {
  overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: config.waits ?? {}, retryIntervalOverrides: config.retries ?? {} },
});
const entered = {};
const retried = {};
let transitions = 0;
const counting = (async () => {
  for await (const ev of execution.eventLogs) {
    if (ev.type === 'StateEntered') {
      transitions += 1;
      entered[ev.state.name] = (entered[ev.state.name] ?? 0) + 1;
    } else if (ev.type === 'StateRetried') {
      transitions += 1;
      retried[ev.state.name] = (retried[ev.state.name] ?? 0) + 1;
    }
  }
})();
let summary;
try {
  const output = await execution.result;
  // `Output` as states:startExecution.sync:2 returns it, for a parent machine running this one.
  summary = { status: 'SUCCEEDED', output, Output: output };
} catch (e) {
  summary = { status: 'FAILED', error: e.cause?.name ?? e.name, cause: e.cause?.message ?? e.message };
}
await counting.catch(() => {});
console.log(JSON.stringify({ ...summary, transitions, entered, retried }));
process.exit(summary.status === 'SUCCEEDED' ? 0 : 1);
