'use strict';
// Ferry's Node.js bootstrap: speaks the AWS Lambda Runtime API
// (AWS_LAMBDA_RUNTIME_API) for the nodejs18.x, nodejs20.x and nodejs22.x
// runtimes. Plain CommonJS, Node core modules only, kept small for cold start.

const http = require('http');
const path = require('path');
const fs = require('fs');
const { format } = require('util');

const BASE = '/2018-06-01/runtime';
const env = process.env;
const api = env.AWS_LAMBDA_RUNTIME_API || '';
const colon = api.lastIndexOf(':');
const host = (colon < 0 ? api : api.slice(0, colon)).replace(/^\[(.*)\]$/, '$1'); // [::1] -> ::1
const port = colon < 0 ? 80 : Number(api.slice(colon + 1));
const agent = new http.Agent({ keepAlive: true });

// Ferry's AWS SDK v3 (FERRY_NODE_SDK, a folder holding node_modules) is the
// last place bare specifiers are looked up, as /var/runtime/node_modules is on
// AWS: CommonJS finds it through NODE_PATH; ES modules through this resolve
// hook, tried only when the function's own resolution fails.
if (env.FERRY_NODE_SDK) {
  const mod = require('module');
  if (typeof mod.register === 'function') {
    const hook = `
let sdkParent;
export function initialize(d) { sdkParent = d.parentURL; }
export async function resolve(spec, ctx, next) {
  try { return await next(spec, ctx); }
  catch (e) {
    if (e && e.code === 'ERR_MODULE_NOT_FOUND' && !/^[./]|^[a-z]+:/.test(spec)) return next(spec, { ...ctx, parentURL: sdkParent });
    throw e;
  }
}`;
    const { pathToFileURL } = require('url');
    mod.register('data:text/javascript,' + encodeURIComponent(hook), {
      data: { parentURL: pathToFileURL(path.join(env.FERRY_NODE_SDK, 'ferry-sdk.mjs')).href },
    });
  }
}

// Runtimes AWS has retired run on the local Node.js, with a warning naming it.
const retired = /^AWS_Lambda_nodejs(\d+)\.x$/.exec(env.AWS_EXECUTION_ENV || '');
if (retired && Number(retired[1]) < 18) {
  process.stderr.write(
    `ferry nodeboot: WARNING: runtime nodejs${retired[1]}.x is retired by AWS (Ferry targets nodejs18.x and later); ` +
      `this function runs on the local Node.js ${process.version}\n`,
  );
}

// ---- Runtime API client ----------------------------------------------------

function call(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const h = headers || {};
    if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      h['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request(
      { host, port, method, path: urlPath, agent, headers: h },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function fatal(what, err) {
  process.stderr.write(`ferry nodeboot: ${what}: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
}

// ---- errors ----------------------------------------------------------------

function runtimeError(type, message) {
  const e = new Error(message);
  e.name = type;
  return e;
}

function isErrorLike(v) {
  return (
    v instanceof Error ||
    (v !== null && typeof v === 'object' && typeof v.name === 'string' &&
      typeof v.message === 'string' && typeof v.stack === 'string')
  );
}

// errorBody converts a thrown value into the Runtime API error document, as
// AWS's Node.js runtime does: Error values give their name, message and
// `trace`, the stack's lines starting with its "Error: message" line; other
// values give typeof, String(value) and an empty trace.
function errorBody(err) {
  try {
    if (isErrorLike(err)) {
      return {
        errorType: String(err.name || 'Error'),
        errorMessage: String(err.message),
        trace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
      };
    }
    return { errorType: typeof err, errorMessage: String(err), trace: [] };
  } catch (_) {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

function headerSafe(s) {
  return String(s).replace(/[^\x20-\x7e]/g, '_') || 'Unknown';
}

function postError(urlPath, err, label) {
  const doc = errorBody(err);
  logError(label, err);
  return call('POST', urlPath, JSON.stringify(doc), {
    'Lambda-Runtime-Function-Error-Type': headerSafe(doc.errorType),
  });
}

// ---- console ---------------------------------------------------------------
// Text lines `<ISO time>\t<request id>\t<LEVEL>\t<message>`, or JSON objects
// {timestamp, level, requestId, message} when AWS_LAMBDA_LOG_FORMAT=JSON.
// AWS_LAMBDA_LOG_LEVEL drops the levels below it. Each call is one line:
// embedded newlines are written as \r, as the AWS runtime does.

let requestId; // undefined until the first invocation, like AWS
const jsonLogs = String(env.AWS_LAMBDA_LOG_FORMAT || '').toUpperCase() === 'JSON';
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const minLevel = Math.max(0, LEVELS.indexOf(String(env.AWS_LAMBDA_LOG_LEVEL || '').toUpperCase()));

function stackLines(e) {
  return typeof e.stack === 'string' ? e.stack.split('\n') : [];
}

function jsonError(_k, v) {
  if (!(v instanceof Error)) return v;
  return Object.assign(
    { errorType: (v.constructor && v.constructor.name) || 'UnknownError', errorMessage: v.message, stackTrace: stackLines(v) },
    v,
  );
}

function jsonLine(level, args) {
  const rec = { timestamp: new Date().toISOString(), level, requestId };
  if (args.length === 1) {
    rec.message = args[0];
    try {
      return JSON.stringify(rec, jsonError);
    } catch (_) {
      rec.message = format(args[0]);
      return JSON.stringify(rec);
    }
  }
  rec.message = format.apply(null, args);
  for (const a of args) {
    if (a instanceof Error) {
      rec.errorType = (a.constructor && a.constructor.name) || 'UnknownError';
      rec.errorMessage = a.message;
      rec.stackTrace = stackLines(a);
      break;
    }
  }
  return JSON.stringify(rec);
}

function log(level, args) {
  const line = jsonLogs
    ? jsonLine(level, args)
    : `${new Date().toISOString()}\t${requestId}\t${level}\t${format.apply(null, args)}`;
  process.stdout.write(line.replace(/\n/g, '\r') + '\n');
}

// logError logs a failure the runtime reports (init, invoke, crash).
function logError(label, err) {
  const e = err instanceof Error ? err : new Error(err);
  if (jsonLogs) return log('ERROR', [e]);
  let doc;
  try {
    doc = JSON.stringify(Object.assign({ errorType: e.name, errorMessage: e.message, code: e.code }, e, { stack: stackLines(e) }));
  } catch (_) {
    doc = JSON.stringify({ errorType: e.name, errorMessage: e.message, stack: stackLines(e) });
  }
  log('ERROR', [label, '\t' + doc]);
}

function level(name) {
  if (LEVELS.indexOf(name) < minLevel && name !== 'FATAL') return () => {};
  return function () {
    log(name, arguments);
  };
}

console.trace = level('TRACE');
console.debug = level('DEBUG');
console.info = level('INFO');
console.log = console.info;
console.warn = level('WARN');
console.error = level('ERROR');
console.fatal = level('FATAL');

// Response streaming is not supported: a function that asks for it fails at
// load with an error naming the feature.
globalThis.awslambda = {
  streamifyResponse() {
    throw new Error('response streaming (awslambda.streamifyResponse) is not supported by Ferry');
  },
};

// ---- loading the handler ---------------------------------------------------

function isFile(p) {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  return st !== undefined && st.isFile();
}

// typeModule reports whether the nearest package.json above dir says
// "type": "module" (a node_modules boundary ends the search).
function typeModule(dir) {
  for (;;) {
    if (dir.endsWith(path.sep + 'node_modules')) return false;
    const pj = path.join(dir, 'package.json');
    if (isFile(pj)) {
      try {
        return JSON.parse(fs.readFileSync(pj, 'utf8')).type === 'module';
      } catch (e) {
        console.warn(`${pj} cannot be read, it is ignored for ES module detection.`, e);
        return false;
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return false;
    dir = up;
  }
}

function esm(file) {
  return import(require('url').pathToFileURL(file).href);
}

// confined returns file when its real path is inside the task root, and
// otherwise refuses to load it: a handler never runs code from outside the
// function's folder (symlinks or node_modules above the root included).
function confined(root, file, full) {
  let inside = false;
  try {
    const realRoot = fs.realpathSync(root);
    const real = fs.realpathSync(file);
    inside = real === realRoot || real.startsWith(realRoot + path.sep);
  } catch (e) {
    inside = false;
  }
  if (!inside) {
    throw runtimeError(
      'Runtime.ImportModuleError',
      `Error: handler '${full}' resolves to ${file}, which is outside the function's folder ${root}`,
    );
  }
  return file;
}

async function loadModule(root, moduleRoot, name, full) {
  const base = path.resolve(root, moduleRoot, name);
  if (isFile(base)) return require(confined(root, base, full));
  const isModule = typeModule(path.dirname(base));
  if (isFile(base + '.js')) {
    const file = confined(root, base + '.js', full);
    return isModule ? esm(file) : require(file);
  }
  if (isFile(base + '.mjs')) return esm(confined(root, base + '.mjs', full));
  if (isFile(base + '.cjs')) return require(confined(root, base + '.cjs', full));
  // Not a file next to the task root: resolve it like a package.
  return require(confined(root, require.resolve(name, { paths: [root, path.resolve(root, moduleRoot)] }), full));
}

async function loadHandler() {
  const full = env._HANDLER || '';
  if (full.includes('..')) {
    throw runtimeError(
      'Runtime.MalformedHandlerName',
      `'${full}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  if (path.isAbsolute(full) || full.includes('\\')) {
    throw runtimeError(
      'Runtime.MalformedHandlerName',
      `'${full}' is not a valid handler name: Ferry loads handlers from the function's folder only; give a path relative to it.`,
    );
  }
  const base = path.basename(full);
  const moduleRoot = full.slice(0, full.length - base.length);
  const m = /^([^.]*)\.(.*)$/.exec(base);
  if (!m) throw runtimeError('Runtime.MalformedHandlerName', 'Bad handler');
  const root = env.LAMBDA_TASK_ROOT || process.cwd();
  let mod;
  try {
    mod = await loadModule(root, moduleRoot, m[1], full);
  } catch (e) {
    if (e instanceof SyntaxError) throw runtimeError('Runtime.UserCodeSyntaxError', String(e));
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      let msg = String(e);
      if (/'@aws-sdk\//.test(msg) && !env.FERRY_NODE_SDK) {
        msg += "\nFerry provides the AWS SDK for JavaScript v3 to Node.js functions, but it is not installed: run `ferry runtime install node-sdk`";
      }
      throw runtimeError('Runtime.ImportModuleError', msg);
    }
    throw e;
  }
  const fn = m[2].split('.').reduce((o, k) => o && o[k], mod);
  if (!fn) throw runtimeError('Runtime.HandlerNotFound', `${full} is undefined or not exported`);
  if (typeof fn !== 'function') throw runtimeError('Runtime.HandlerNotFound', `${full} is not a function`);
  return fn;
}

// ---- crashes -----------------------------------------------------------------

let crashed = false;

// crash reports an uncaught error against the current (or last) invocation,
// or as an init error before the first one, then exits like the AWS runtime.
function crash(err, label, code) {
  if (crashed) return;
  crashed = true;
  const url = requestId === undefined ? `${BASE}/init/error` : `${BASE}/invocation/${requestId}/error`;
  postError(url, err, label).then(
    () => process.exit(code),
    () => process.exit(code),
  );
}

process.on('uncaughtException', (err) => crash(err, 'Uncaught Exception', 129));
process.on('unhandledRejection', (reason) => {
  const e = runtimeError('Runtime.UnhandledPromiseRejection', String(reason));
  e.stack = reason instanceof Error && reason.stack ? reason.stack : e.stack;
  crash(e, 'Unhandled Promise Rejection', 128);
});

// onDrain runs when the event loop has nothing left to do (the handler's
// pending timers and I/O are done): it finishes a callback-style invocation
// that asked to wait for an empty event loop.
let onDrain = null;
process.on('beforeExit', () => {
  const f = onDrain;
  onDrain = null;
  if (f) f();
});

// ---- invocation loop ---------------------------------------------------------

function jsonHeader(v) {
  if (v === undefined || v === '') return undefined;
  try {
    return JSON.parse(v);
  } catch (_) {
    return undefined;
  }
}

function nextInvocation(handler) {
  call('GET', `${BASE}/invocation/next`).then(
    (res) => {
      if (res.status !== 200) return fatal('next invocation', `status ${res.status}: ${res.body}`);
      invoke(handler, res);
    },
    (err) => fatal('next invocation', err),
  );
}

function invoke(handler, res) {
  const h = res.headers;
  const id = h['lambda-runtime-aws-request-id'];
  const deadline = Number(h['lambda-runtime-deadline-ms']) || 0;
  requestId = id;
  if (h['lambda-runtime-trace-id']) env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
  else delete env._X_AMZN_TRACE_ID;

  let finished = false;
  let waits = true;
  const isAsync = handler.constructor && handler.constructor.name === 'AsyncFunction';

  const complete = (err, result) => {
    onDrain = null;
    let p;
    if (err !== undefined && err !== null) {
      p = postError(`${BASE}/invocation/${id}/error`, err, 'Invoke Error');
    } else {
      let body;
      try {
        body = JSON.stringify(result === undefined ? null : result);
      } catch (e) {
        p = postError(`${BASE}/invocation/${id}/error`, new Error('Unable to stringify response body'), 'Invoke Error');
      }
      if (!p) p = call('POST', `${BASE}/invocation/${id}/response`, body === undefined ? 'null' : body);
    }
    p.then(
      (r) => {
        if (r.status >= 300) process.stderr.write(`ferry nodeboot: runtime API answered ${r.status}: ${r.body}\n`);
        nextInvocation(handler);
      },
      (e) => fatal('post result', e),
    );
  };

  const once = (f) =>
    function () {
      if (finished) return;
      finished = true;
      f.apply(null, arguments);
    };
  const done = once((err, result) => complete(err, result));
  const callback = once((err, result) => {
    if ((err !== undefined && err !== null) || !waits) return complete(err, result);
    onDrain = () => setImmediate(() => complete(null, result));
  });

  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waits;
    },
    set callbackWaitsForEmptyEventLoop(v) {
      waits = v;
    },
    succeed: (result) => done(null, result),
    fail: (err) => done(err === undefined || err === null ? 'handled' : err, null),
    done: (err, result) => done(err, result),
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: jsonHeader(h['lambda-runtime-client-context']),
    identity: jsonHeader(h['lambda-runtime-cognito-identity']),
    invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
    awsRequestId: id,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };

  // The event loop drained and nothing answered: an async handler left a
  // promise that never settles (an error, as on AWS); a plain handler that
  // never called back returns null.
  onDrain = () => {
    if (finished) return;
    finished = true;
    if (isAsync) {
      complete(
        runtimeError(
          'Runtime.NodeJsExit',
          'Error: Runtime exited without providing a reason. The handler returned a promise that never settled.',
        ),
      );
    } else complete(null, null);
  };

  try {
    const result = handler(JSON.parse(res.body), context, callback);
    if (result && typeof result.then === 'function') {
      result.then(context.succeed, context.fail);
    }
  } catch (err) {
    callback(err);
  }
}

loadHandler().then(
  (handler) => {
    nextInvocation(handler);
  },
  (err) => {
    crashed = true;
    postError(`${BASE}/init/error`, err, 'Uncaught Exception').then(
      () => process.exit(1),
      () => process.exit(1),
    );
  },
);
