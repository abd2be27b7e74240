"""Ferry's Python bootstrap: serves a module.function handler over the AWS
Lambda Runtime API at AWS_LAMBDA_RUNTIME_API, using the standard library only."""
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
_conn = None
_request_id = None


def _call(method, path, body=None, headers=None):
    global _conn
    for attempt in (0, 1):
        if _conn is None:
            _conn = http.client.HTTPConnection(API)
        try:
            _conn.request(method, "/2018-06-01/runtime" + path, body=body, headers=headers or {})
            resp = _conn.getresponse()
            return resp, resp.read()
        except (http.client.HTTPException, OSError):
            _conn.close()
            _conn = None
            if attempt:
                raise


def _stack(exc):
    # Like AWS's runtime, the leading frames of the bootstrap itself are left
    # out (all of them stay when no other frame exists).
    frames = traceback.extract_tb(exc.__traceback__)
    for i, f in enumerate(frames):
        if "/bootstrap.py" not in f.filename:
            frames = frames[i:]
            break
    # As tuples, like awslambdaric: no column markers (^^^) on Python 3.11+.
    return traceback.format_list([(f.filename, f.lineno, f.name, f.line) for f in frames])


def _make_error(message, error_type, stack_trace, request_id=None):
    # The document AWS's Python runtime (awslambdaric) posts, keys in its order.
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace or [],
    }


def _error_doc(exc, request_id=None):
    if isinstance(exc, _Fault):
        return _make_error(str(exc), exc.error_type, exc.trace, request_id)
    return _make_error(str(exc), type(exc).__name__, _stack(exc), request_id)


def _log_error(doc):
    # awslambdaric's text format: one record, lines joined by CR, indents as
    # no-break spaces.
    line = "[ERROR]"
    if doc["errorType"]:
        line += " " + doc["errorType"]
    if doc["errorMessage"]:
        if doc["errorType"]:
            line += ":"
        line += " " + doc["errorMessage"]
    lines = [line, "Traceback (most recent call last):"]
    for element in doc["stackTrace"]:
        for l in element.splitlines() or [""]:
            n = len(l) - len(l.lstrip(" "))
            lines.append("\u00a0" * n + l[n:])
    sys.stdout.write("\r".join(lines) + "\n")
    sys.stdout.flush()


def _post_error(path, doc):
    body = json.dumps(doc).encode()
    _call("POST", path, body, {"Content-Type": "application/json",
                               "Lambda-Runtime-Function-Error-Type": doc["errorType"]})


class LambdaContext:
    def __init__(self, request_id, deadline_ms, arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.client_context = client_context
        self.identity = identity
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def log(self, msg):
        sys.stdout.write(str(msg))
        sys.stdout.flush()


class _Filter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id or ""
        return True


def _setup_logging():
    handler = logging.StreamHandler(sys.stdout)
    fmt = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                            "%Y-%m-%dT%H:%M:%S")
    fmt.converter = time.gmtime
    handler.setFormatter(fmt)
    handler.addFilter(_Filter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "WARNING").upper())


def _load(handler_name):
    root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    paths = [root, "/opt/python", "/opt/python/lib/python%d.%d/site-packages" % sys.version_info[:2]]
    sys.path[0:0] = [p for p in paths if p not in sys.path]
    try:
        mod_name, fn_name = handler_name.rsplit(".", 1)
    except ValueError as e:
        raise _Fault("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler_name, e))
    try:
        if mod_name.split(".")[0] in sys.builtin_module_names:
            raise _Fault("Runtime.BuiltInModuleConflict", "Cannot use built-in module %s as a handler module" % mod_name)
        mod = importlib.import_module(mod_name.replace("/", "."))
    except ImportError as e:
        raise _Fault("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (mod_name, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise _Fault("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (mod_name, e), trace)
    try:
        return getattr(mod, fn_name)
    except AttributeError:
        raise _Fault("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fn_name, mod_name))


class _Fault(Exception):
    """An error of the runtime itself (awslambdaric's FaultException): its
    type is a Runtime.* name and its stack trace is given, not the Python one."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.trace = trace


def main():
    global _request_id
    sys.stdout = os.fdopen(sys.stdout.fileno(), "w", buffering=1, closefd=False)
    sys.stderr = sys.stdout
    _setup_logging()
    try:
        handler = _load(os.environ.get("_HANDLER", ""))
    except Exception as e:
        doc = _error_doc(e)
        _log_error(doc)
        _post_error("/init/error", doc)
        sys.exit(1)
    while True:
        resp, body = _call("GET", "/invocation/next")
        if resp.status != 200:
            time.sleep(0.05)
            continue
        rid = resp.getheader("Lambda-Runtime-Aws-Request-Id")
        _request_id = rid
        deadline = int(resp.getheader("Lambda-Runtime-Deadline-Ms") or "0")
        try:
            cc = resp.getheader("Lambda-Runtime-Client-Context")
            ident = resp.getheader("Lambda-Runtime-Cognito-Identity")
            ctx = LambdaContext(rid, deadline, resp.getheader("Lambda-Runtime-Invoked-Function-Arn") or "",
                                _header_json(cc, "Client Context"), _header_json(ident, "Cognito Identity"))
            try:
                event = json.loads(body) if body else None
            except Exception as e:
                raise _Fault("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e)
            result = handler(event, ctx)
            try:
                out = json.dumps(result).encode()
            except Exception as e:
                raise _Fault("Runtime.MarshalError", "Unable to marshal response: %s" % e)
        except Exception as e:
            doc = _error_doc(e, request_id=rid)
            _log_error(doc)
            _post_error("/invocation/%s/error" % rid, doc)
            continue
        finally:
            sys.stdout.flush()
        _call("POST", "/invocation/%s/response" % rid, out, {"Content-Type": "application/json"})


def _header_json(value, name):
    if not value:
        return None
    try:
        return json.loads(value)
    except Exception as e:
        raise _Fault("Runtime.LambdaContextUnmarshalError", "Unable to parse %s JSON: %s" % (name, e))


if __name__ == "__main__":
    main()
