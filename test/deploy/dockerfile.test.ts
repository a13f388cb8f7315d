// The Dockerfile cannot be built on this machine, so it is checked as data against the repository: every file it
// copies exists and passes .dockerignore, every stage it copies from is defined, every command it runs refers to
// real files and scripts, the entry point is the compiled CLI with a real subcommand and environment variable, the
// user is non-root, and every package the compiled server requires is a production dependency (the image installs
// with --omit=dev). Finally the runtime image's file layout is rebuilt in a temporary folder (only package.json,
// proto/, dist/src, dist/generated, models) and the server is started from it.

import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GRPCInferenceServiceClient } from '../../generated/inference/grpc_service';
import { REPO_ROOT } from '../support/server';
import { parseDockerfile, dockerignoreAllows, type DockerInstruction } from '../support/dockerfile';
import { serveHelp } from '../support/cli-help';

const instructions = parseDockerfile(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const ignore = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  engines: { node: string };
};

interface Stage {
  name: string;
  base: string;
  body: DockerInstruction[];
}

const stages: Stage[] = [];
for (const ins of instructions) {
  if (ins.keyword === 'FROM') {
    const [base, as, name] = ins.args.split(/\s+/);
    expect(as?.toUpperCase()).toBe('AS');
    stages.push({ name, base, body: [] });
  } else if (stages.length > 0) {
    stages[stages.length - 1].body.push(ins);
  }
}
const stage = (name: string): Stage => {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`Dockerfile has no stage ${name}`);
  return s;
};
const args = Object.fromEntries(
  instructions.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]),
);
const runs = (s: Stage): string[] => s.body.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const copies = (s: Stage) =>
  s.body
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = words[0].startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
      return { from, sources: words.slice(0, -1), dest: words[words.length - 1] };
    });

describe('Dockerfile', () => {
  test('Node 24 LTS base; the CUDA base is an nvidia/cuda runtime image with cuDNN', () => {
    expect(args.NODE_IMAGE).toMatch(/^node:24-[a-z]+-slim$/);
    expect(args.CUDA_IMAGE).toMatch(/^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu\d+\.\d+$/);
    expect(pkg.engines.node).toBe('>=20');
  });

  test('the default (last) stage is the CPU runtime; the CUDA variant is its own target', () => {
    expect(stages[stages.length - 1].name).toBe('runtime');
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', 'deps-cuda', 'node', 'cuda', 'runtime']);
  });

  test('every COPY from the build context names a file or folder that exists and .dockerignore lets through', () => {
    const sources = stages.flatMap((s) => copies(s).filter((c) => !c.from).flatMap((c) => c.sources));
    expect(sources.length).toBeGreaterThan(5);
    for (const src of sources) {
      expect([src, existsSync(path.join(REPO_ROOT, src))]).toEqual([src, true]);
      expect([src, dockerignoreAllows(ignore, src)]).toEqual([src, true]);
    }
    // The excluded side of .dockerignore really excludes (tests, fixtures, node_modules, dist stay out).
    for (const out of ['node_modules', 'dist', 'test', 'test/fixtures', 'scripts', 'bench', 'helm']) {
      expect([out, dockerignoreAllows(ignore, out)]).toEqual([out, false]);
    }
  });

  test('every COPY --from names an earlier stage and a path that stage produces', () => {
    const produced: Record<string, string[]> = {
      build: ['/app/dist'],
      deps: ['/app/node_modules'],
      'deps-cuda': ['/app/node_modules'],
      node: ['/usr/local/bin/node'],
    };
    for (const [i, s] of stages.entries()) {
      for (const c of copies(s).filter((x) => x.from)) {
        expect(stages.slice(0, i).map((x) => x.name)).toContain(c.from);
        for (const src of c.sources) expect(produced[c.from!]).toContain(src);
      }
    }
    // /app/dist is tsc's outDir for the build config, run in WORKDIR /app.
    const build = JSON.parse(readFileSync(path.join(REPO_ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { outDir: string } };
    expect(build.compilerOptions.outDir).toBe('dist');
    expect(stage('build').body.find((i) => i.keyword === 'WORKDIR')?.args).toBe('/app');
    expect(stage('node').base).toBe('${NODE_IMAGE}');
  });

  test('build stage: npm ci with the lockfile, then tsc on the build config that covers what the server imports', () => {
    expect(runs(stage('build'))).toEqual(['npm ci --ignore-scripts', 'npx tsc -p tsconfig.build.json']);
    expect(pkg.devDependencies.typescript).toBeDefined();
    const buildConfig = JSON.parse(readFileSync(path.join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as {
      extends: string;
      include: string[];
    };
    expect(buildConfig.extends).toBe('./tsconfig.json');
    expect(buildConfig.include).toEqual(['src', 'generated']);
    const copied = copies(stage('build')).flatMap((c) => c.sources);
    for (const dir of buildConfig.include) expect(copied).toContain(dir);
  });

  test('deps stage: production dependencies only, without install scripts', () => {
    expect(runs(stage('deps'))).toEqual(['npm ci --omit=dev --ignore-scripts && npm cache clean --force']);
  });

  test('deps-cuda stage runs onnxruntime-node\'s own installer for the cuda12 manifest and checks its output', () => {
    const [run] = runs(stage('deps-cuda'));
    const m = /^ONNXRUNTIME_NODE_INSTALL=(\S+) node (\S+) && test -f (\S+)$/.exec(run);
    expect(m).not.toBeNull();
    const [, flag, script, produced] = m!;
    expect(existsSync(path.join(REPO_ROOT, script))).toBe(true);
    expect(pkg.dependencies['onnxruntime-node']).toBeDefined();
    // The installer's metadata lists that file for linux/x64 under that flag, in the folder the test checks.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const metadata = require(path.join(REPO_ROOT, 'node_modules/onnxruntime-node/script/install-metadata.js')) as {
      requirements: Record<string, string[]>;
      manifests: Record<string, Record<string, unknown>>;
    };
    expect(metadata.requirements['linux/x64']).toContain(flag);
    const binDir = 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/';
    expect(produced.startsWith(binDir)).toBe(true);
    expect(Object.keys(metadata.manifests[`linux/x64:${flag}`])).toContain(`./${produced.slice(binDir.length)}`);
    expect(readFileSync(path.join(REPO_ROOT, script), 'utf8')).toContain('ONNXRUNTIME_NODE_INSTALL');
  });

  test.each(['runtime', 'cuda'])('%s stage: non-root user, the compiled CLI as entry point, a real subcommand and env', async (name) => {
    const s = stage(name);
    const user = s.body.find((i) => i.keyword === 'USER')!.args;
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    const entry = JSON.parse(s.body.find((i) => i.keyword === 'ENTRYPOINT')!.args) as string[];
    expect(entry).toEqual(['node', '/app/dist/src/cli/main.js']);
    expect(existsSync(path.join(REPO_ROOT, 'src/cli/main.ts'))).toBe(true);
    expect(JSON.parse(s.body.find((i) => i.keyword === 'CMD')!.args)).toEqual(['serve']);
    const env = s.body.find((i) => i.keyword === 'ENV')!.args;
    const help = await serveHelp();
    const repoEnv = /INFERD_MODEL_REPOSITORY=(\S+)/.exec(env)![1];
    expect(help.get('--model-repository')?.env).toBe('INFERD_MODEL_REPOSITORY');
    // The baked-in models land where the env var points.
    expect(copies(s)).toContainEqual({ from: undefined, sources: ['models'], dest: repoEnv });
    // What the runtime reads from disk: package.json (version), proto/ (reflection), dist, node_modules.
    const dests = copies(s).map((c) => c.dest);
    expect(dests).toEqual(expect.arrayContaining(['./', './proto', './node_modules', './dist', repoEnv]));
    const exposed = s.body.find((i) => i.keyword === 'EXPOSE')!.args.split(/\s+/).map(Number);
    expect(exposed).toContain(help.get('--grpc-port')!.default);
  });

  test('every package the compiled server requires is a production dependency', async () => {
    const required = new Set<string>();
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(p);
        else if (p.endsWith('.js')) {
          for (const m of (await fs.readFile(p, 'utf8')).matchAll(/require\("([^".][^"]*)"\)/g)) {
            const parts = m[1].split('/');
            required.add(m[1].startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
          }
        }
      }
    };
    await walk(path.join(REPO_ROOT, 'dist/src'));
    await walk(path.join(REPO_ROOT, 'dist/generated'));
    const external = [...required].filter((m) => !m.startsWith('node:') && !(require('node:module') as { builtinModules: string[] }).builtinModules.includes(m));
    expect(external).toEqual(expect.arrayContaining(['@grpc/grpc-js', 'onnxruntime-node', '@bufbuild/protobuf']));
    for (const m of external) expect([m, pkg.dependencies[m] !== undefined]).toEqual([m, true]);
  });

  test('the runtime image layout (package.json, proto/, dist/src, dist/generated, models) serves from another cwd', async () => {
    const image = await fs.mkdtemp(path.join(os.tmpdir(), 'inferd-image-'));
    try {
      await fs.cp(path.join(REPO_ROOT, 'package.json'), path.join(image, 'app/package.json'));
      await fs.cp(path.join(REPO_ROOT, 'proto'), path.join(image, 'app/proto'), { recursive: true });
      await fs.cp(path.join(REPO_ROOT, 'dist/src'), path.join(image, 'app/dist/src'), { recursive: true });
      await fs.cp(path.join(REPO_ROOT, 'dist/generated'), path.join(image, 'app/dist/generated'), { recursive: true });
      await fs.symlink(path.join(REPO_ROOT, 'node_modules'), path.join(image, 'app/node_modules'));
      await fs.cp(path.join(REPO_ROOT, 'models'), path.join(image, 'models'), { recursive: true });
      // proto/ is loaded when the server is built: a missing proto/ would fail the start.
      const proc = await serveFrom(path.join(image, 'app/dist/src/cli/main.js'), image, path.join(image, 'models'));
      const client = new GRPCInferenceServiceClient(proc.address, grpc.credentials.createInsecure());
      try {
        const index = await new Promise<{ models: Array<{ name: string; state: string }> }>((resolve, reject) =>
          client.repositoryIndex({ repositoryName: '', ready: false }, (err, res) => (err ? reject(err) : resolve(res))),
        );
        expect(index.models.map((m) => [m.name, m.state])).toEqual([
          ['generator', 'READY'],
          ['mlp', 'READY'],
          ['simple', 'READY'],
          ['simple_string', 'READY'],
        ]);
      } finally {
        client.close();
        await proc.stop();
      }
    } finally {
      await fs.rm(image, { recursive: true, force: true });
    }
  });
});

/** `node <cli> serve` with the model repository given only by INFERD_MODEL_REPOSITORY, as in the image. */
async function serveFrom(cli: string, cwd: string, modelRepository: string): Promise<{ address: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [cli, 'serve', '--grpc-port', '0', '--grpc-host', '127.0.0.1', '--metrics-port', '0'], {
    cwd,
    env: { ...process.env, INFERD_MODEL_REPOSITORY: modelRepository },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"port":(\d+)[^\n]*"msg":"inferd serving"/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`inferd exited with ${code}: ${out}`)));
  });
  child.stdout.resume();
  return {
    address: `127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); }),
  };
}
