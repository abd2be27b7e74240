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
    # Like AWS's runtime, the bootstrap's own frames are left out.
    frames = traceback.extract_tb(exc.__traceback__)
    while frames and frames[0].filename == __file__:
        frames = frames[1:]
    return traceback.format_list(frames)


def _error_doc(exc, error_type=None, request_id=None):
    doc = {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id or "",
        "stackTrace": _stack(exc),
    }
    return doc


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
    mod_name, _, fn_name = handler_name.rpartition(".")
    if not mod_name or not fn_name:
        raise _InitError("Runtime.MalformedHandlerName", "Bad handler '%s': not enough values to unpack" % handler_name)
    mod_name = mod_name.replace("/", ".")
    try:
        mod = importlib.import_module(mod_name)
    except SyntaxError as e:
        raise _InitError("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (mod_name, e), e)
    except ImportError as e:
        raise _InitError("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (mod_name, e), e)
    fn = getattr(mod, fn_name, None)
    if fn is None:
        raise _InitError("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fn_name, mod_name))
    return fn


class _InitError(Exception):
    def __init__(self, error_type, message, cause=None):
        super().__init__(message)
        self.error_type = error_type
        self.cause = cause


def main():
    global _request_id
    sys.stdout = os.fdopen(sys.stdout.fileno(), "w", buffering=1, closefd=False)
    sys.stderr = sys.stdout
    _setup_logging()
    try:
        handler = _load(os.environ.get("_HANDLER", ""))
    except _InitError as e:
        doc = {"errorMessage": str(e), "errorType": e.error_type, "requestId": "", "stackTrace": []}
        if e.cause is not None:
            doc["stackTrace"] = traceback.format_list(traceback.extract_tb(e.cause.__traceback__))
        print("[ERROR] %s: %s" % (e.error_type, e), flush=True)
        _post_error("/init/error", doc)
        sys.exit(1)
    except Exception as e:
        doc = _error_doc(e)
        print("[ERROR] %s: %s" % (doc["errorType"], e), flush=True)
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
        cc = resp.getheader("Lambda-Runtime-Client-Context")
        ident = resp.getheader("Lambda-Runtime-Cognito-Identity")
        ctx = LambdaContext(rid, deadline, resp.getheader("Lambda-Runtime-Invoked-Function-Arn") or "",
                            json.loads(cc) if cc else None, json.loads(ident) if ident else None)
        try:
            event = json.loads(body) if body else None
            result = handler(event, ctx)
            out = json.dumps(result).encode()
        except Exception as e:
            doc = _error_doc(e, request_id=rid)
            sys.stdout.write("[ERROR] %s: %s\n" % (doc["errorType"], doc["errorMessage"]))
            sys.stdout.flush()
            _post_error("/invocation/%s/error" % rid, doc)
            continue
        finally:
            sys.stdout.flush()
        _call("POST", "/invocation/%s/response" % rid, out, {"Content-Type": "application/json"})


if __name__ == "__main__":
    main()
