/**
 * The ShareGPT-style load the OpenShift run sends to the model server, as Kubernetes manifests:
 * a ConfigMap of OpenAI-style completion requests (first turns of chat conversations, the way
 * ShareGPT benchmarks replay them) and an Indexed Job of curl workers that replay them open-loop
 * at the requested rate. Pure functions, no Dagger.
 */
import { stringify } from "yaml";

/** First user turns of chat conversations, in the spirit of the ShareGPT data set. */
export const SHAREGPT_PROMPTS: readonly string[] = [
  "Can you explain the difference between a process and a thread, with an example in Python?",
  "Write a short story about a lighthouse keeper who finds a message in a bottle.",
  "I have a job interview for a data analyst role tomorrow. What questions should I prepare for?",
  "Summarize the main causes of the French Revolution in a few paragraphs.",
  "How do I make a sourdough starter from scratch, and how long does it take?",
  "Translate into French and explain the grammar: 'We would have left earlier if it had not rained.'",
  "What are the pros and cons of microservices compared with a monolith for a small startup?",
  "Write a SQL query that returns the top three customers by total order value per country.",
  "My tomato plants have yellow leaves with brown spots. What could be wrong and how do I fix it?",
  "Explain how public-key cryptography works to someone without a maths background.",
  "Plan a three-day itinerary for Lisbon for two people who like food and museums.",
  "Act as a code reviewer and list what you would check in a pull request that adds a cache layer.",
];

/** What the load is made of. */
export interface LoadJobOptions {
  /** Job (and ConfigMap) name. */
  name: string;
  namespace: string;
  /** Worker image with curl and a POSIX shell, e.g. `quay.io/curl/curl:8.11.1`. */
  image: string;
  /** OpenAI-compatible completions endpoint, e.g. `http://gateway.ns.svc:80/v1/completions`. */
  targetUrl: string;
  /** Model name sent in each request. */
  model: string;
  /** Requests per second across all workers. */
  requestRate: number;
  /** Requests in total. */
  numPrompts: number;
  /** max_tokens of each request. */
  maxTokens: number;
  /** Parallel worker pods (each sends requestRate/workers requests per second). */
  workers: number;
  /** Label `[key, value]` put on everything, so cleanup can find it. */
  runLabel: [string, string];
  /** Deadline of the whole Job in seconds. */
  activeDeadlineSeconds: number;
  /** Per-request timeout in seconds. */
  requestTimeoutSeconds?: number;
  /** A worker fails when fewer than this share of its requests get a 2xx answer. */
  minSuccessPercent?: number;
}

/** Checks the options before anything is applied; throws with every problem at once. */
export function validateLoad(o: LoadJobOptions): void {
  const problems: string[] = [];
  const positiveInt = (n: number, what: string) => {
    if (!Number.isInteger(n) || n < 1) problems.push(`${what} must be a whole number ≥ 1, got ${n}`);
  };
  if (!(o.requestRate > 0) || !Number.isFinite(o.requestRate)) problems.push(`request rate must be > 0, got ${o.requestRate}`);
  positiveInt(o.numPrompts, "number of prompts");
  positiveInt(o.maxTokens, "max tokens");
  positiveInt(o.workers, "workers");
  positiveInt(o.activeDeadlineSeconds, "job deadline");
  if (!/^https?:\/\/\S+$/.test(o.targetUrl)) problems.push(`target URL must be http(s)://…, got ${JSON.stringify(o.targetUrl)}`);
  if (!o.model) problems.push("model must not be empty");
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.name)) problems.push(`job name ${JSON.stringify(o.name)} is not a DNS label`);
  const pct = o.minSuccessPercent ?? 90;
  if (!(pct >= 0 && pct <= 100)) problems.push(`minimum success percent must be within 0..100, got ${pct}`);
  if (problems.length) throw new Error(`invalid load settings:\n  ${problems.join("\n  ")}`);
}

/** One JSON request body per line, cycling through the prompts. */
export function requestBodies(model: string, maxTokens: number, prompts: readonly string[] = SHAREGPT_PROMPTS): string {
  return prompts.map((prompt) => JSON.stringify({ model, prompt, max_tokens: maxTokens, temperature: 0 })).join("\n") + "\n";
}

// Each worker (Job completion index i of W) sends its share of the requests, one every
// INTERVAL seconds without waiting for answers (open loop, like a benchmark's request rate),
// then waits for all of them and fails if too few got a 2xx status.
const WORKER_SCRIPT = `set -u
i=\${JOB_COMPLETION_INDEX:-0}
n=$(( TOTAL / WORKERS + (i < TOTAL % WORKERS ? 1 : 0) ))
lines=$(grep -c . /load/requests.jsonl)
: > /tmp/codes
k=0
echo "worker $i: $n requests to $TARGET_URL, one every $INTERVAL s"
while [ "$k" -lt "$n" ]; do
  line=$(( (i + k * WORKERS) % lines + 1 ))
  sed -n "\${line}p" /load/requests.jsonl | curl -sS -o /dev/null -w '%{http_code}\\n' --max-time "$REQUEST_TIMEOUT" \\
    -H 'Content-Type: application/json' --data-binary @- "$TARGET_URL" >> /tmp/codes 2>>/tmp/errors &
  k=$((k + 1))
  sleep "$INTERVAL"
done
wait
ok=$(grep -c '^2' /tmp/codes || true)
echo "worker $i: $ok/$n requests answered 2xx"
sort /tmp/codes | uniq -c
tail -n 5 /tmp/errors 2>/dev/null || true
[ $(( ok * 100 )) -ge $(( n * MIN_SUCCESS_PERCENT )) ]
`;

/** The ConfigMap of request bodies and the Job that replays them. */
export function loadManifests(o: LoadJobOptions): Record<string, unknown>[] {
  validateLoad(o);
  const workers = Math.min(o.workers, o.numPrompts);
  const labels = { [o.runLabel[0]]: o.runLabel[1], "app.kubernetes.io/name": "wva-e2e-load", "app.kubernetes.io/component": "load-generator" };
  const interval = (workers / o.requestRate).toFixed(3);
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: o.name, namespace: o.namespace, labels },
    data: { "requests.jsonl": requestBodies(o.model, o.maxTokens) },
  };
  const env = (name: string, value: string | number) => ({ name, value: String(value) });
  const job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: o.name, namespace: o.namespace, labels },
    spec: {
      completionMode: "Indexed",
      completions: workers,
      parallelism: workers,
      backoffLimit: 0,
      activeDeadlineSeconds: o.activeDeadlineSeconds,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: "load",
              image: o.image,
              command: ["/bin/sh", "-c", WORKER_SCRIPT],
              env: [
                env("TARGET_URL", o.targetUrl),
                env("TOTAL", o.numPrompts),
                env("WORKERS", workers),
                env("INTERVAL", interval),
                env("REQUEST_TIMEOUT", o.requestTimeoutSeconds ?? 180),
                env("MIN_SUCCESS_PERCENT", o.minSuccessPercent ?? 90),
              ],
              resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "512Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
                seccompProfile: { type: "RuntimeDefault" },
              },
              volumeMounts: [{ name: "requests", mountPath: "/load", readOnly: true }],
            },
          ],
          volumes: [{ name: "requests", configMap: { name: o.name } }],
        },
      },
    },
  };
  return [configMap, job];
}

/** The manifests as one multi-document YAML stream for `kubectl apply -f`. */
export function loadManifestsYaml(o: LoadJobOptions): string {
  return loadManifests(o).map((m) => stringify(m)).join("---\n");
}
