// Kubernetes manifests (infra/), checked offline in `npm test` (issue 12, SPEC.md §9):
// - rendering: `kubectl kustomize` of every overlay where kubectl is installed; elsewhere the base manifests as
//   they are (the files its kustomization.yaml lists), with a message;
// - schema: every object validated with kubernetes-models, @kubernetes-models/keda and
//   @kubernetes-models/prometheus-operator (they catch wrongly typed fields, not misspelt ones: hence
//   the policy checks below);
// - policy: probes, resources and a securityContext on every container, a grace period longer than the service's
//   shutdown timeout, each app given only the secrets it reads, every KEDA trigger naming a queue that the message
//   registry and the transport declare, every Ingress path reaching an existing Service port, /metrics not public.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, has } from '../lib.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const YAML = require('yaml');
const INFRA = path.join(ROOT, 'infra');
const OVERLAYS = ['dev', 'production'];
const APPS = [
  'api-gateway',
  'iiif-delivery',
  'auth-service',
  'ingest-orchestrator',
  'image-processor',
  'av-transcoder',
];
const DELIVERY_PATHS = [
  '/iiif-img',
  '/thumbs',
  '/iiif-av',
  '/file',
  '/iiif-manifest',
  '/iiif-resource',
  '/raw-resource',
  '/pdf',
  '/zip',
  '/auth/v2/probe',
];
/** The secret env vars each app reads (its .env.example and env class), and the Secret each comes from. */
const SECRET_ENV = {
  DATABASE_URL: 'vellum-database',
  AMQP_URL: 'vellum-broker',
  S3_ACCESS_KEY: 'vellum-s3',
  S3_SECRET_KEY: 'vellum-s3',
  VELLUM_SECRETS_KEY: 'vellum-secrets-key',
  VELLUM_SECRETS_PREVIOUS_KEYS: 'vellum-secrets-key',
  VELLUM_AUTH_SIGNING_KEY: 'vellum-auth-signing',
  VELLUM_AUTH_SIGNING_PREVIOUS_KEYS: 'vellum-auth-signing',
  VELLUM_ADMIN_KEY: 'vellum-admin',
  VELLUM_ADMIN_SECRET: 'vellum-admin',
};
const S3 = ['S3_ACCESS_KEY', 'S3_SECRET_KEY'];
const SEALING = ['VELLUM_SECRETS_KEY', 'VELLUM_SECRETS_PREVIOUS_KEYS'];
const SIGNING = ['VELLUM_AUTH_SIGNING_KEY', 'VELLUM_AUTH_SIGNING_PREVIOUS_KEYS'];
const APP_SECRETS = {
  'api-gateway': ['DATABASE_URL', 'AMQP_URL', ...S3, ...SEALING, 'VELLUM_ADMIN_KEY', 'VELLUM_ADMIN_SECRET'],
  'iiif-delivery': ['DATABASE_URL', 'AMQP_URL', ...S3, ...SIGNING],
  'auth-service': ['DATABASE_URL', 'AMQP_URL', ...SEALING, ...SIGNING],
  'ingest-orchestrator': ['DATABASE_URL', 'AMQP_URL', ...S3, ...SEALING],
  'image-processor': ['DATABASE_URL', 'AMQP_URL', ...S3],
  'av-transcoder': ['AMQP_URL', ...S3],
};
/** Routing keys a scaled worker consumes that need no trigger of their own, and why. */
const UNSCALED = {
  'bus.message.dead-lettered.v1': 'control records for projections: rare, and handled by whichever pod runs',
};

/** apiVersion + kind → the model module that validates it. */
function modelModule({ apiVersion, kind }) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : [null, apiVersion];
  if (group === 'keda.sh') return `@kubernetes-models/keda/keda.sh/${version}/${kind}`;
  if (group === 'monitoring.coreos.com')
    return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}/${kind}`;
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

/**
 * The YAML documents of `text`. Secret `data` values lose their line breaks: kustomize wraps long base64 values
 * (the API server's decoder skips newlines), which the models' `byte` format would reject.
 */
function parseAll(text) {
  const objs = YAML.parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter(Boolean);
  for (const o of objs)
    if (o.kind === 'Secret' && o.data)
      for (const k of Object.keys(o.data)) o.data[k] = String(o.data[k]).replace(/\s+/g, '');
  return objs;
}

/** Rendered overlays (name → objects), or the base's own files when kubectl is missing. */
function render() {
  if (has('kubectl')) {
    return Object.fromEntries(
      OVERLAYS.map((o) => {
        const r = spawnSync('kubectl', ['kustomize', path.join(INFRA, 'overlays', o)], {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        });
        assert.equal(r.status, 0, `kubectl kustomize infra/overlays/${o} failed:\n${r.stderr}`);
        return [o, parseAll(r.stdout)];
      }),
    );
  }
  console.log('# kubectl is not installed: checking infra/base as it is (overlays not rendered)');
  const load = (dir) => {
    const k = YAML.parse(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'));
    return (k.resources ?? []).flatMap((r) => {
      const p = path.join(dir, r);
      return fs.statSync(p).isDirectory() ? load(p) : parseAll(fs.readFileSync(p, 'utf8'));
    });
  };
  return { base: load(path.join(INFRA, 'base')) };
}

const rendered = render();
const variants = Object.entries(rendered);
const named = (objs, kind) => new Map(objs.filter((o) => o.kind === kind).map((o) => [o.metadata.name, o]));
const podSpecs = (objs) =>
  objs
    .filter((o) => o.kind === 'Deployment' || o.kind === 'Job')
    .map((o) => ({ owner: `${o.kind}/${o.metadata.name}`, obj: o, spec: o.spec.template.spec }));

/** The durable queues the code declares for `service`: main queues and priority lanes (packages/messaging). */
function declaredQueues(service) {
  const contracts = require(path.join(ROOT, 'packages', 'contracts'));
  const { queueNames } = require(path.join(ROOT, 'packages', 'messaging'));
  const main = fs.readFileSync(path.join(ROOT, 'apps', service, 'src', 'main.ts'), 'utf8');
  const queues = new Map();
  for (const m of contracts.allMessages()) {
    const consumers = m.consumers.map((c) => c.replace(/\s*\(.*\)\s*$/, '').trim());
    if (!consumers.includes(service)) continue;
    const q = queueNames.main(service, m.routingKey);
    queues.set(q, m.routingKey);
    // A priority lane exists where main.ts gives the consumer a priorityPrefetch (transport.ts).
    const cls = Object.entries(contracts).find(([, v]) => v === m)?.[0];
    if (cls && new RegExp(`\\[${cls}\\.routingKey\\]:\\s*\\{[^}]*priorityPrefetch`).test(main))
      queues.set(queueNames.priority(q), m.routingKey);
  }
  return queues;
}

describe('Kubernetes manifests (infra/)', () => {
  for (const [variant, objs] of variants) {
    describe(variant, () => {
      it('every object validates against its model', async () => {
        assert.ok(objs.length > 20, `only ${objs.length} objects rendered`);
        for (const o of objs) {
          let mod;
          try {
            mod = await import(modelModule(o));
          } catch (err) {
            assert.fail(`no model for ${o.apiVersion} ${o.kind} (${o.metadata?.name}): ${err.message}`);
          }
          const Model = mod[o.kind] ?? mod.default;
          assert.doesNotThrow(() => new Model(o).validate(), `${o.kind}/${o.metadata?.name}`);
        }
      });

      it('has a Deployment, Service, probes, resources and a securityContext for each app', () => {
        const deployments = named(objs, 'Deployment');
        const services = named(objs, 'Service');
        assert.deepEqual([...deployments.keys()].sort(), [...APPS].sort());
        for (const app of APPS) {
          const d = deployments.get(app);
          const svc = services.get(app);
          assert.ok(svc, `no Service ${app}`);
          for (const [k, v] of Object.entries(svc.spec.selector))
            assert.equal(
              d.spec.template.metadata.labels[k],
              v,
              `Service ${app} selects no pod of its Deployment`,
            );
          const c = d.spec.template.spec.containers[0];
          assert.equal(c.livenessProbe?.httpGet?.path, '/health/live', `${app} liveness`);
          assert.equal(c.readinessProbe?.httpGet?.path, '/health/ready', `${app} readiness`);
          assert.ok(
            c.ports.some((p) => p.name === svc.spec.ports[0].targetPort),
            `${app}: Service targetPort not on the container`,
          );
        }
        for (const { owner, spec } of podSpecs(objs)) {
          assert.equal(spec.automountServiceAccountToken, false, `${owner}: service account token mounted`);
          for (const c of spec.containers) {
            const where = `${owner} container ${c.name}`;
            for (const r of ['cpu', 'memory']) {
              assert.ok(c.resources?.requests?.[r], `${where}: no ${r} request`);
              assert.ok(c.resources?.limits?.[r], `${where}: no ${r} limit`);
            }
            const sc = c.securityContext ?? {};
            assert.equal(sc.runAsNonRoot, true, `${where}: runAsNonRoot`);
            assert.ok(
              Number.isInteger(sc.runAsUser) && sc.runAsUser > 0,
              `${where}: numeric non-root runAsUser`,
            );
            assert.equal(sc.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
            assert.equal(sc.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
            assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${where}: capabilities not dropped`);
            const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
            assert.ok(tmp, `${where}: no writable /tmp`);
            assert.ok(
              spec.volumes.find((v) => v.name === tmp.name)?.emptyDir,
              `${where}: /tmp is not an emptyDir`,
            );
          }
        }
      });

      it('gives every pod a grace period longer than its shutdown timeout', () => {
        const config = named(objs, 'ConfigMap').get('vellum-config')?.data ?? {};
        for (const d of named(objs, 'Deployment').values()) {
          const c = d.spec.template.spec.containers[0];
          const shutdownMs = Number(
            c.env?.find((e) => e.name === 'SHUTDOWN_TIMEOUT_MS')?.value ??
              config.SHUTDOWN_TIMEOUT_MS ??
              25000,
          );
          const grace = d.spec.template.spec.terminationGracePeriodSeconds ?? 30;
          assert.ok(
            grace * 1000 > shutdownMs,
            `${d.metadata.name}: grace ${grace}s <= shutdown ${shutdownMs}ms`,
          );
        }
      });

      it('gives each app only the secrets it reads, from Secrets that exist', () => {
        const secrets = named(objs, 'Secret');
        for (const d of named(objs, 'Deployment').values()) {
          const app = d.metadata.name;
          const c = d.spec.template.spec.containers[0];
          assert.ok(!c.envFrom?.some((e) => e.secretRef), `${app}: envFrom a whole Secret`);
          const fromSecrets = (c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef);
          assert.deepEqual(
            fromSecrets.map((e) => e.name).sort(),
            [...APP_SECRETS[app]].sort(),
            `${app} secrets`,
          );
          for (const e of fromSecrets) {
            const ref = e.valueFrom.secretKeyRef;
            assert.equal(ref.name, SECRET_ENV[e.name], `${app} ${e.name} from ${ref.name}`);
            assert.equal(ref.key, e.name);
            // Overlays that generate Secrets (dev) must generate every required one; production's are external.
            if (secrets.size && !ref.optional) {
              assert.ok(
                secrets.get(ref.name)?.data?.[ref.key],
                `${app}: Secret ${ref.name} has no key ${ref.key}`,
              );
            }
          }
          for (const e of c.env ?? []) {
            assert.ok(
              !/SECRET|PASSWORD|_KEY$/.test(e.name) || e.valueFrom,
              `${app}: ${e.name} has a literal value`,
            );
          }
        }
        const config = named(objs, 'ConfigMap').get('vellum-config');
        for (const k of Object.keys(config.data))
          assert.ok(!SECRET_ENV[k] || k === 'AMQP_URL', `the shared ConfigMap holds the secret ${k}`);
        assert.ok(!('AMQP_URL' in config.data), 'the shared ConfigMap holds AMQP_URL');
      });

      it('scales image-processor and av-transcoder with KEDA on queues the code declares', () => {
        const scaled = named(objs, 'ScaledObject');
        const auth = named(objs, 'TriggerAuthentication');
        assert.deepEqual([...scaled.keys()].sort(), ['av-transcoder', 'image-processor']);
        for (const [name, so] of scaled) {
          assert.ok(
            named(objs, 'Deployment').has(so.spec.scaleTargetRef.name),
            `${name}: no such Deployment`,
          );
          const declared = declaredQueues(so.spec.scaleTargetRef.name);
          const triggered = new Set();
          for (const t of so.spec.triggers) {
            assert.equal(t.type, 'rabbitmq');
            assert.equal(t.metadata.mode, 'QueueLength');
            assert.ok(
              declared.has(t.metadata.queueName),
              `${name}: trigger queue ${t.metadata.queueName} is not declared by the code (declared: ${[...declared.keys()].join(', ')})`,
            );
            assert.ok(auth.has(t.authenticationRef?.name), `${name}: TriggerAuthentication missing`);
            triggered.add(t.metadata.queueName);
          }
          for (const [q, rk] of declared)
            assert.ok(triggered.has(q) || UNSCALED[rk], `${name}: queue ${q} has no trigger`);
        }
        assert.ok(
          declaredQueues('image-processor').has('image-processor.image.derivatives.create.v1.priority'),
        );
        assert.equal(scaled.get('av-transcoder').spec.minReplicaCount, 0, 'av-transcoder scales to zero');
        for (const ta of auth.values()) {
          for (const ref of ta.spec.secretTargetRef) assert.equal(ref.name, 'vellum-broker');
        }
      });

      it('routes every Ingress path to an existing Service port, and never /metrics publicly', () => {
        const services = named(objs, 'Service');
        const routes = new Map();
        for (const ing of named(objs, 'Ingress').values()) {
          const denied = /0\.0\.0\.0\/0/.test(
            ing.metadata.annotations?.['nginx.ingress.kubernetes.io/denylist-source-range'] ?? '',
          );
          for (const rule of ing.spec.rules) {
            for (const p of rule.http.paths) {
              const { name, port } = p.backend.service;
              const svc = services.get(name);
              assert.ok(svc, `${ing.metadata.name} ${p.path}: no Service ${name}`);
              assert.ok(
                svc.spec.ports.some((sp) => sp.name === port.name || sp.port === port.number),
                `${ing.metadata.name} ${p.path}: Service ${name} has no port ${port.name ?? port.number}`,
              );
              if (p.path.startsWith('/metrics'))
                assert.ok(denied, `${ing.metadata.name}: /metrics is public`);
              else routes.set(`${rule.host}${p.path}`, name);
            }
          }
        }
        const byPath = (p) => [...routes].filter(([k]) => k.endsWith(p)).map(([, v]) => v);
        for (const p of DELIVERY_PATHS) assert.deepEqual(byPath(p), ['iiif-delivery'], `${p}`);
        assert.deepEqual(byPath('/auth'), ['auth-service']);
        assert.deepEqual(byPath('/'), ['api-gateway']);
        // The catch-all API host reaches /metrics unless denied: a deny Ingress must exist for that host.
        const apiHost = [...routes].find(([k]) => k.endsWith('/') && !k.endsWith('//'))[0].slice(0, -1);
        assert.ok(
          [...named(objs, 'Ingress').values()].some((i) =>
            i.spec.rules.some((r) => r.host === apiHost && r.http.paths.some((p) => p.path === '/metrics')),
          ),
          'no /metrics deny rule on the API host',
        );
      });

      it('autoscales, protects and isolates what it should', () => {
        const deployments = named(objs, 'Deployment');
        const hpas = named(objs, 'HorizontalPodAutoscaler');
        assert.deepEqual([...hpas.keys()].sort(), ['api-gateway', 'iiif-delivery']);
        for (const h of hpas.values()) {
          assert.ok(deployments.has(h.spec.scaleTargetRef.name));
          assert.equal(h.spec.metrics[0].resource.name, 'cpu');
          assert.equal(
            deployments.get(h.spec.scaleTargetRef.name).spec.replicas,
            undefined,
            'replicas beside HPA',
          );
        }
        const pdbs = [...named(objs, 'PodDisruptionBudget').values()];
        for (const app of APPS)
          assert.ok(
            pdbs.some((p) => p.spec.selector.matchLabels['app.kubernetes.io/name'] === app),
            `no PodDisruptionBudget for ${app}`,
          );
        const nps = named(objs, 'NetworkPolicy');
        assert.deepEqual(nps.get('vellum-default-deny-ingress').spec.podSelector, {});
        const fromIngress = nps.get('vellum-from-ingress-controller').spec.podSelector.matchExpressions[0]
          .values;
        assert.deepEqual([...fromIngress].sort(), ['api-gateway', 'auth-service', 'iiif-delivery']);
        const job = named(objs, 'Job').get('vellum-migrate');
        assert.ok(job, 'no migration Job');
        assert.match(job.spec.template.spec.containers[0].image, /(^|\/)vellum\/migrate(:|$)|\/migrate:/);
        assert.ok(named(objs, 'ServiceMonitor').has('vellum'));
        assert.ok(named(objs, 'PrometheusRule').has('vellum'));
      });

      if (variant === 'production') {
        it('pins production images to a version', () => {
          for (const { owner, spec } of podSpecs(objs))
            for (const c of spec.containers)
              assert.match(c.image, /:\d+\.\d+\.\d+$/, `${owner}: image ${c.image} not pinned`);
        });
      }
    });
  }
});

describe('observability (infra/observability)', () => {
  const dashboard = JSON.parse(
    fs.readFileSync(path.join(INFRA, 'observability', 'grafana-dashboard.json'), 'utf8'),
  );
  const rules = YAML.parse(fs.readFileSync(path.join(INFRA, 'observability', 'alerts.yaml'), 'utf8'));
  const METRIC = /\b([a-z_][a-z0-9_]*)(?=\{|\[)/g;
  const metricsOf = (expr) =>
    [...expr.matchAll(METRIC)]
      .map((m) => m[1])
      .filter(
        (n) =>
          /_/.test(n) && !/^(by|on|without|le|histogram_quantile|clamp_min|sum|rate|increase|deriv)$/.test(n),
      );

  it('the dashboard covers ingest, queues, tiles, cache and errors with vellum_ metrics', () => {
    const titles = dashboard.panels.map((p) => p.title).join(' | ');
    for (const want of [
      /Ingest throughput/,
      /Queue depth/,
      /Tile rate/,
      /latency/i,
      /cache hit ratio/i,
      /5xx/,
    ])
      assert.match(titles, want);
    for (const p of dashboard.panels)
      for (const t of p.targets)
        for (const m of metricsOf(t.expr))
          assert.match(
            m,
            /^(vellum_|rabbitmq_|kube_)/,
            `panel "${p.title}": metric ${m} has no vellum_ prefix`,
          );
  });

  it('the alert rules cover backlog, dead letters, ingest errors, 5xx and p99 tile latency', () => {
    const alerts = rules.spec.groups.flatMap((g) => g.rules.map((r) => r.alert));
    for (const a of [
      'VellumQueueBacklogGrowing',
      'VellumDeadLetters',
      'VellumIngestErrorRate',
      'VellumHttp5xxRate',
      'VellumTileLatencyP99',
    ])
      assert.ok(alerts.includes(a), `missing alert ${a}`);
  });
});
