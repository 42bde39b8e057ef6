import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.js';

const run = promisify(execFile);

/** How long the cluster may take to form before the test fails. */
const FORM_TIMEOUT_MS = 30_000;

/** A real Redis Cluster of the test's own: three masters, no replicas, on free ports. */
export interface TestRedisCluster {
  /** The masters, as `{ cluster: nodes }` takes them. */
  readonly nodes: readonly { host: string; port: number }[];
  /** `{ cluster: nodes }`: the library's cluster connection. */
  readonly connection: { readonly cluster: readonly { host: string; port: number }[] };
  /** Kills one node (as a crash would); the cluster fails once the others notice. */
  killNode(index: number): Promise<void>;
  /** Kills every node and removes the temporary directory. */
  stop(): Promise<void>;
}

/**
 * Starts three `redis-server --cluster-enabled yes` on free ports (each with its cluster bus
 * on a free port of its own), joins them with `redis-cli --cluster create`, and waits until
 * every node reports `cluster_state:ok` and knows the other two. `npm test` has made sure
 * redis-server and redis-cli are installed (scripts/ensure-redis.sh).
 */
export async function startTestRedisCluster(): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'webhooks-redis-cluster-'));
  const children: ChildProcess[] = [];
  const killAll = (): void => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  };
  // A test run that dies must not leave servers behind.
  process.once('exit', killAll);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killAll);
    await Promise.all(children.map((child) => kill(child)));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const ports = await distinctFreePorts(6);
    const nodes = [0, 1, 2].map((index) => ({ host: '127.0.0.1', port: ports[index]! }));
    for (const [index, node] of nodes.entries()) {
      children.push(await startNode(node.port, ports[index + 3]!, dir));
    }
    await Promise.all(nodes.map((node) => waitForPort(node.port, 10_000)));
    await run(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: FORM_TIMEOUT_MS },
    );
    await waitForClusterOk(nodes, FORM_TIMEOUT_MS);
    return {
      nodes,
      connection: { cluster: nodes },
      killNode: async (index) => kill(children[index]!),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `CLUSTER INFO` of one node, as text. */
export async function clusterInfo(port: number): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info'], {
    timeout: 5_000,
  });
  return stdout;
}

/** The slot Redis Cluster puts `key` in, as a node computes it. */
export async function keySlot(port: number, key: string): Promise<number> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'keyslot', key], {
    timeout: 5_000,
  });
  return Number(stdout.trim());
}

/**
 * Resharding, one slot at a time, as `redis-cli --cluster reshard` does it: the slot becomes
 * IMPORTING on `toPort` and MIGRATING on its owner, whose keys in it move (MIGRATE) to `toPort`.
 * Until {@link finishSlotMigration}, the owner answers a command for a key it no longer holds
 * with ASK (the client must ask `toPort`). Returns the owner's port.
 */
export async function beginSlotMigration(slot: number, toPort: number, ports: readonly number[]): Promise<number> {
  const fromPort = await slotOwner(slot, ports[0]!);
  if (fromPort === toPort) throw new Error(`slot ${slot} is on ${toPort} already`);
  const [fromId, toId] = await Promise.all([nodeId(fromPort), nodeId(toPort)]);
  await cli(toPort, 'cluster', 'setslot', String(slot), 'importing', fromId);
  await cli(fromPort, 'cluster', 'setslot', String(slot), 'migrating', toId);
  const keys = (await cli(fromPort, 'cluster', 'getkeysinslot', String(slot), '1000')).split('\n').filter(Boolean);
  if (keys.length > 0) await cli(fromPort, 'migrate', '127.0.0.1', String(toPort), '', '0', '5000', 'keys', ...keys);
  return fromPort;
}

/** Gives the slot to `toPort` on every node: the old owner now answers MOVED. */
export async function finishSlotMigration(slot: number, toPort: number, ports: readonly number[]): Promise<void> {
  const toId = await nodeId(toPort);
  // The new owner first, as redis-cli does, so that it is never left without the slot.
  for (const port of [toPort, ...ports.filter((p) => p !== toPort)]) {
    await cli(port, 'cluster', 'setslot', String(slot), 'node', toId);
  }
}

/** The port of the master that owns `slot`, as `askPort` sees the cluster. */
export async function slotOwner(slot: number, askPort: number): Promise<number> {
  for (const line of (await cli(askPort, 'cluster', 'nodes')).split('\n')) {
    const [, address, flags, , , , , , ...slots] = line.split(' ');
    if (!address || !flags?.includes('master')) continue;
    const owns = slots.some((range) => {
      if (range.startsWith('[')) return false;
      const [first, last = first] = range.split('-').map(Number);
      return first !== undefined && last !== undefined && slot >= first && slot <= last;
    });
    if (owns) return Number(address.split('@')[0]!.split(':')[1]);
  }
  throw new Error(`no master owns slot ${slot}`);
}

/** How many keys of `slot` the node on `port` holds. */
export async function keysInSlot(port: number, slot: number): Promise<number> {
  return Number((await cli(port, 'cluster', 'countkeysinslot', String(slot))).trim());
}

async function nodeId(port: number): Promise<string> {
  return (await cli(port, 'cluster', 'myid')).trim();
}

/** One redis-cli command; a Redis error answer fails it. */
async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  if (/^(ERR|MOVED|ASK|CROSSSLOT|TRYAGAIN|IOERR|NOKEY)\b/.test(stdout)) {
    throw new Error(`redis-cli ${args.join(' ')}: ${stdout.trim()}`);
  }
  return stdout;
}

async function startNode(port: number, busPort: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--cluster-port',
      String(busPort),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      // Failures are noticed within seconds (the node-down test); nothing fails over (no replicas).
      '--cluster-node-timeout',
      '2000',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: 'ignore' },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new Error(`Could not start redis-server (${error.message}). Install it: apt-get install redis-server`)),
    );
    child.once('spawn', () => resolve());
  });
  return child;
}

/** Polls every node until each reports `cluster_state:ok` and knows all three. */
async function waitForClusterOk(nodes: readonly { port: number }[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const infos = await Promise.all(nodes.map((node) => clusterInfo(node.port).catch((error: Error) => error.message)));
    const ready = infos.every(
      (info) =>
        info.includes('cluster_state:ok') &&
        info.includes('cluster_slots_assigned:16384') &&
        info.includes(`cluster_known_nodes:${nodes.length}`),
    );
    if (ready) return;
    if (Date.now() > deadline) {
      const seen = infos.join(' | ').replace(/\s+/g, ' ');
      throw new Error(`The test Redis Cluster did not form within ${timeoutMs} ms: ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `count` different free ports (freePort may hand out one twice: it closes what it found). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}
