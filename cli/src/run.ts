import { adminLoginCheck, loginCheck, type ApiRequest } from './calls';
import { completionScript } from './completion';
import { checkApiUrl, checkToken, configPath, CONTEXT_NAME, isCleartext, readConfig, resolveTarget, writeConfig, type CliConfig, type Env } from './config';
import { CommandFailed, ExitCode, isCommandFailed, isUsageError, UsageError } from './exit';
import { send, type Answer, type Target } from './http';
import { renderData, renderTable, views, type Format } from './output';
import { helpText, parseCommandLine, type Parsed } from './parse';
import { bodyField, type Plan, type Show, type Wait } from './plan';
import { failed } from './problems';
import { isRetried, MAX_ATTEMPTS, retryDelay, retryReason } from './retry';
import { waitFor } from './wait';

// Carries out a parsed command line: the one place with I/O besides main.ts, all of it through
// `Io` (what main.ts gives it from the process).

export interface Io {
  env: Env;
  home: string;
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (the --wait progress line is then rewritten in place). */
  errIsTty: boolean;
  fetch: typeof fetch;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A file's text; `-` is stdin. */
  readText(path: string): Promise<string>;
  /** A new Idempotency-Key (random): one per invocation, for its POST and that POST's retries. */
  newIdempotencyKey(): string;
}

/** Runs one command line; the exit code (README, "Exit codes"). */
export async function run(argv: string[], io: Io): Promise<ExitCode> {
  try {
    await execute(parseCommandLine(argv), io);
    return ExitCode.ok;
  } catch (e) {
    if (isUsageError(e)) {
      io.err(`error: ${e.message}\nRun 'netbroker --help' for usage.\n`);
      return ExitCode.usage;
    }
    if (isCommandFailed(e)) {
      io.err(`${e.lines.join('\n')}\n`);
      return e.code;
    }
    throw e;
  }
}

async function execute({ plan, output, context }: Parsed, io: Io): Promise<void> {
  switch (plan.kind) {
    case 'help':
      return io.out(helpText(plan.words));
    case 'print':
      return io.out(plan.text);
    case 'completion':
      return io.out(completionScript(plan.shell));
    case 'login':
      return login(plan, io);
    case 'get-contexts':
    case 'current-context':
    case 'use-context':
    case 'delete-context':
      return contexts(plan, output, io);
    case 'call':
    case 'call-with-file': {
      const target = targetOf(io, context);
      const request = plan.kind === 'call' ? plan.request : plan.request(await readFileOrFail(io, plan.path));
      const answer = await sendRetried(target, request, io);
      if (answer.kind !== 'ok') throw failed(answer);
      if (plan.kind === 'call' && plan.wait) {
        if (output === 'table') show(plan.show, answer.body, output, io);
        const { kind, name, object } = await waitWithProgress(plan.wait, answer.body, target, io);
        if (object === undefined) return output === 'table' ? io.out(`${kind}/${name} deleted\n`) : undefined;
        return show({ view: kind }, object, output, io);
      }
      return show(plan.show, answer.body, output, io);
    }
    case 'list': {
      const target = targetOf(io, context);
      const items: unknown[] = [];
      let next: string | undefined;
      do {
        const query: Record<string, string> = { ...plan.request.query, ...(next !== undefined ? { continue: next } : {}) };
        const answer = await send(io.fetch, target, { ...plan.request, query });
        if (answer.kind !== 'ok') throw failed(answer);
        const page = answer.body as { items?: unknown[]; continue?: string };
        if (!Array.isArray(page?.items)) throw unexpected('a list without items');
        items.push(...page.items);
        next = page.continue;
      } while (next !== undefined);
      if (plan.pick) {
        const { name, what, keyOf, view } = plan.pick;
        const item = items.find((i) => keyOf(i) === name);
        if (item === undefined) throw new CommandFailed([`error: not-found: ${what} not found`], ExitCode.notFound);
        return show({ view }, item, output, io);
      }
      // Rows, not items: `get grants` lists exposures and shows their grants.
      if (output === 'table' && (items.length === 0 || views[plan.view]({ items }, io.now()).rows.length === 0)) return io.err(`No ${plan.noun} found.\n`);
      return show({ view: plan.view }, { items }, output, io);
    }
  }
}

/**
 * Sends a command's request. A POST carries an Idempotency-Key and is sent again with the same key
 * while the answer may pass (retry.ts decides how often and after how long), with a line on stderr
 * each time; any other request is sent once.
 */
async function sendRetried(target: Target, request: ApiRequest, io: Io): Promise<Answer> {
  if (!isRetried(request)) return send(io.fetch, target, request);
  const idempotencyKey = io.newIdempotencyKey();
  for (let attempt = 1; ; attempt++) {
    const answer = await send(io.fetch, target, request, { idempotencyKey });
    const delay = retryDelay(answer, attempt, io.now());
    if (delay === undefined) return answer;
    io.err(`retrying after ${retryReason(answer)} in ${delay / 1000} s (attempt ${attempt + 1} of ${MAX_ATTEMPTS}, same Idempotency-Key)\n`);
    await io.sleep(delay);
  }
}

const unexpected = (what: string) => new CommandFailed([`error: unexpected-answer: the API answered ${what}`], ExitCode.unavailable);

function show(how: Show, body: unknown, output: Format, io: Io): void {
  if (output !== 'table') {
    if (body !== undefined) io.out(renderData(body, output));
    return;
  }
  try {
    if (how.view) io.out(renderTable(views[how.view](body, io.now())));
    else if (how.message) io.out(`${how.message(body)}\n`);
    if (how.note) io.err(`${how.note(body)}\n`);
  } catch (e) {
    if (e instanceof TypeError) throw unexpected(`what the CLI cannot show (${e.message})`);
    throw e;
  }
}

/** Polls what the plan waits for, with a progress line on stderr; the object where it is done (undefined: gone). */
async function waitWithProgress(wait: Wait, started: unknown, target: Target, io: Io): Promise<{ kind: Wait['kind']; name: string; object: unknown }> {
  const fromAnswer = Object.fromEntries(Object.entries(wait.fromAnswer ?? {}).map(([param, field]) => [param, bodyField(started, field)]));
  const request = { ...wait.request, params: { ...wait.request.params, ...fromAnswer } };
  // The object's name in messages: its last path parameter (the project, the exposure, the peering id).
  const name = Object.values(request.params).at(-1) ?? '?';
  let shown = false;
  const progress = (line: string) => {
    io.err(io.errIsTty ? `\r\u001b[K${line}` : `${line}\n`);
    shown = true;
  };
  try {
    const object = await waitFor(
      wait.kind,
      name,
      wait.timeoutMs,
      {
        get: (ifNoneMatch): Promise<Answer> => send(io.fetch, target, request, { ifNoneMatch }),
        now: io.now,
        sleep: io.sleep,
        progress,
      },
      wait.until,
    );
    return { kind: wait.kind, name, object };
  } finally {
    if (shown && io.errIsTty) io.err('\n');
  }
}

async function readFileOrFail(io: Io, path: string): Promise<string> {
  try {
    return await io.readText(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function loadConfig(io: Io): { path: string; config: CliConfig | undefined } {
  const path = configPath(io.env, io.home);
  const { config, mode } = readConfig(path);
  if (mode !== undefined && (mode & 0o077) !== 0) io.err(`warning: ${path} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it\n`);
  return { path, config };
}

function targetOf(io: Io, context: string | undefined): Target {
  return resolveTarget(loadConfig(io).config, io.env, context);
}

async function login(plan: Extract<Plan, { kind: 'login' }>, io: Io): Promise<void> {
  if (!CONTEXT_NAME.test(plan.context)) throw new UsageError(`a context name is letters, digits and . _ @ - (at most 63), not "${plan.context}"`);
  if (plan.token !== undefined && plan.tokenFile !== undefined) throw new UsageError('give --token or --token-file, not both');
  const apiText = plan.api ?? io.env.NETBROKER_API;
  if (!apiText) throw new UsageError('login needs --api URL (or NETBROKER_API)');
  const api = checkApiUrl(apiText);
  const raw = plan.token ?? (plan.tokenFile !== undefined ? await readFileOrFail(io, plan.tokenFile) : io.env.NETBROKER_TOKEN);
  if (raw === undefined) throw new UsageError('login needs --token-file FILE, --token TOKEN or NETBROKER_TOKEN');
  const token = checkToken(raw.trim());
  if (isCleartext(api)) io.err(`warning: ${api} is plain http: the token crosses the network unencrypted\n`);
  let admin = false;
  if (plan.check) {
    // A tenant token lists projects; the admin token is refused there (403) and lists tenants.
    const answer = await send(io.fetch, { api, token }, loginCheck);
    if (answer.kind === 'problem' && answer.status === 403) {
      const asAdmin = await send(io.fetch, { api, token }, adminLoginCheck);
      if (asAdmin.kind !== 'ok') throw failed(answer);
      admin = true;
    } else if (answer.kind !== 'ok') throw failed(answer);
  }
  const { path, config } = loadConfig(io);
  writeConfig(path, { contexts: { ...config?.contexts, [plan.context]: { api, token } }, currentContext: plan.context });
  io.out(`context "${plan.context}" (${api}${admin ? ', admin token' : ''}) saved in ${path}; it is the current context\n`);
}

async function contexts(plan: Extract<Plan, { kind: 'get-contexts' | 'current-context' | 'use-context' | 'delete-context' }>, output: Format, io: Io): Promise<void> {
  const { path, config } = loadConfig(io);
  const all = config?.contexts ?? {};
  switch (plan.kind) {
    case 'get-contexts': {
      const items = Object.entries(all)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, c]) => ({ name, api: c.api, current: name === config?.currentContext }));
      if (output !== 'table') return io.out(renderData({ currentContext: config?.currentContext ?? null, contexts: items }, output));
      if (items.length === 0) return io.err(`No contexts in ${path} (netbroker login).\n`);
      return io.out(renderTable({ header: ['CURRENT', 'NAME', 'API'], rows: items.map((c) => [c.current ? '*' : '', c.name, c.api]) }));
    }
    case 'current-context':
      if (config?.currentContext === undefined) throw new UsageError(`no current context in ${path}`);
      return io.out(`${config.currentContext}\n`);
    case 'use-context':
      if (!all[plan.name]) throw new UsageError(`no context "${plan.name}" in ${path}`);
      writeConfig(path, { contexts: all, currentContext: plan.name });
      return io.out(`current context: ${plan.name}\n`);
    case 'delete-context': {
      if (!all[plan.name]) throw new UsageError(`no context "${plan.name}" in ${path}`);
      const { [plan.name]: _gone, ...rest } = all;
      const current = config?.currentContext === plan.name ? undefined : config?.currentContext;
      writeConfig(path, { contexts: rest, ...(current !== undefined ? { currentContext: current } : {}) });
      return io.out(`context "${plan.name}" deleted${current === undefined && config?.currentContext === plan.name ? '; no current context now' : ''}\n`);
    }
  }
}
