"""Drives the InfLVG kernel through jupyter_client and writes what it saw as JSON; KernelProtocolIT asserts on it.

Usage: python3 kernel_protocol.py KERNEL_NAME OUT.json
Every wait has a timeout, so a kernel that never answers fails a step instead of hanging the build.
"""
import json
import os
import queue
import sys
import time
import traceback

from jupyter_client.manager import start_new_kernel

KERNEL, OUT = sys.argv[1], sys.argv[2]
results = {}


def collect(kc, msg_id, timeout):
    """The execute_reply and every iopub output of one request, until the kernel is idle again."""
    sent = time.time()
    outputs, reply, deadline = [], None, sent + timeout
    idle = False
    while not idle:
        left = deadline - time.time()
        if left <= 0:
            raise TimeoutError("no idle status within %ss" % timeout)
        try:
            msg = kc.get_iopub_msg(timeout=left)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
        elif kind in ("stream", "execute_result", "display_data", "update_display_data", "error"):
            outputs.append({"type": kind, "content": msg["content"], "t": round(time.time() - sent, 2)})
    while reply is None:
        left = deadline - time.time()
        msg = kc.get_shell_msg(timeout=max(left, 1))
        if msg["parent_header"].get("msg_id") == msg_id:
            reply = msg["content"]
    return {"reply": reply, "outputs": outputs}


def run(kc, code, timeout=60):
    return collect(kc, kc.execute(code), timeout)


def step(name, fn):
    started = time.time()
    try:
        results[name] = fn()
    except Exception as e:  # record and go on: one broken step must not hide the others
        results[name] = {"exception": "".join(traceback.format_exception_only(type(e), e)).strip(),
                         "trace": traceback.format_exc()}
    results[name + ".seconds"] = round(time.time() - started, 2)


t0 = time.time()
km, kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=120)
results["ready_seconds"] = round(time.time() - t0, 2)
try:
    first = run(kc, "1+1", timeout=120)
    results["first_result_seconds"] = round(time.time() - t0, 2)
    results["one_plus_one"] = first

    step("compile_error", lambda: run(kc, "int a = 1;\nint b = a + 2;\nint c = nope + 1;"))
    step("exception", lambda: run(kc, "int div(int x) {\n  return 10 / x;\n}\nint r = div(0);"))

    def complete():
        return kc.complete("System.out.pri", 14, reply=True, timeout=60)["content"]
    step("complete", complete)

    def inspect():
        return kc.inspect("Math.max(1, 2)", 6, detail_level=0, reply=True, timeout=60)["content"]
    step("inspect", inspect)

    def shell_reply(msg_id, timeout=60):
        deadline = time.time() + timeout
        while True:
            msg = kc.get_shell_msg(timeout=max(deadline - time.time(), 0.1))
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg["content"]

    def is_complete():
        return {"open": shell_reply(kc.is_complete("for (int i = 0; i < 3; i++) {")),
                "done": shell_reply(kc.is_complete("int x = 3;"))}
    step("is_complete", is_complete)

    def interrupt(code):
        def go():
            msg_id = kc.execute(code)
            time.sleep(2.0)
            sent = time.time()
            km.interrupt_kernel()
            result = collect(kc, msg_id, 60)
            result["interrupt_to_reply_seconds"] = round(time.time() - sent, 2)
            result["after"] = run(kc, "2 + 3")
            return result
        return go
    step("interrupt_sleep", interrupt("while (true) { Thread.sleep(10); }"))
    step("interrupt_tight", interrupt("long spins = 0;\nwhile (true) { spins++; }"))

    def exit_refused():
        result = run(kc, "System.out.println(\"before\");\nSystem.exit(0);")
        result["runtime"] = run(kc, "Runtime.getRuntime().halt(3)")
        result["after"] = run(kc, "1 + 2")
        result["alive"] = km.is_alive()
        return result
    step("exit", exit_refused)

    step("image", lambda: run(kc, "var img = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);\nimg"))
    step("stream_and_display", lambda: run(kc, "System.out.println(\"hello\");\ndisplay(\"shown\");\n\"last\""))
    step("redefinition", lambda: [run(kc, "class Box { int v = 1; }"), run(kc, "Box box = new Box();"),
                                  run(kc, "class Box { int v = 2; int w; }")])
    step("magic", lambda: run(kc, "%classpath /nonexistent/dir"))
    step("streaming", lambda: run(kc, "System.out.println(\"early\");\nThread.sleep(2000);\n\"done\""))
    step("progress", lambda: run(kc, "try (var p = progress(\"steps\", 3)) {\n"
                                     "  for (int i = 0; i < 3; i++) { Thread.sleep(150); p.step(); }\n}"))
finally:
    try:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    except Exception:
        km.shutdown_kernel(now=True)
    with open(OUT, "w") as f:
        json.dump(results, f, indent=1)
    sys.stdout.flush()
    os._exit(0)  # skip jupyter_client's noisy finalizers at interpreter exit
