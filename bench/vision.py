"""Face detection: YuNet against the Haar cascade on an FDDB-format set, and YuNet's speed through the API.

1. Accuracy. ``millet vision_make_set`` builds the set (640 x 480 images, seed ``--seed``);
   ``millet fddb_run`` runs each detector over it (both at once, one per core), at the same frame size
   the API uses; the FDDB evaluator scores them. FDDB itself has 2,845 images, so its "1,000 false
   positives" is 0.35 per image: on a set of N images the same budget is 1000 * N / 2845 false
   positives, and that scaled budget is the headline (the raw 1,000 is printed too).
2. Speed on 640 x 480 JPEGs from the set, using the 2 cores:
   - ceiling: the bare ``detector.detect`` call, two processes (one per core) on decoded frames;
   - the API path: ``POST /api/vision/detect`` (multipart upload, bearer token) on gunicorn with 2
     sync workers, driven by wrk (Debian's package; a C load generator, so the client costs little),
     over the embedded SQLite default (the route's only database work is the token lookup).

    python bench/vision.py [--n 500] [--seed 1] [--seconds 10] [--rounds 3] [--connections 2]

The last line is JSON: {"bench", "value" (API images/s), "unit", "ceiling" (bare images/s), "ratio",
"goal" (30 images/s), ...} with both detectors' true positive rates.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from support.harness import ROOT, free_port, millet, serve, wrk

FDDB_IMAGES = 2845  # images in FDDB, whose published rates are read at 1,000 false positives
GOAL_IMAGES_PER_S = 30.0
GOAL_POINTS = 25.0
SPEED_FRAMES = 40  # distinct 640 x 480 JPEGs the speed runs cycle through

LUA = """
local boundary = "millet-bench-boundary"
local bodies = {}
local sent = 0
init = function(args)
  for i, path in ipairs(args) do
    local f = assert(io.open(path, "rb"))
    local data = f:read("*all")
    f:close()
    bodies[i] = "--" .. boundary .. "\\r\\n"
      .. 'Content-Disposition: form-data; name="image"; filename="frame.jpg"\\r\\n'
      .. "Content-Type: image/jpeg\\r\\n\\r\\n" .. data .. "\\r\\n--" .. boundary .. "--\\r\\n"
  end
end
request = function()
  sent = sent + 1
  return wrk.format("POST", "/api/vision/detect", {
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
    ["Authorization"] = "Bearer %(token)s",
  }, bodies[(sent %% #bodies) + 1])
end
"""


# --- accuracy ------------------------------------------------------------------------------------


def detect_all(set_dir: Path, out_dir: Path, env: dict) -> dict[str, float]:
    """Both detectors over the set at once (one process per core); returns each one's images/s."""
    started, procs = time.perf_counter(), {}
    for name in ("yunet", "haar"):
        cmd = [sys.executable, "-m", "millet.cli", "fddb_run", "--detector", name, "--set", str(set_dir)]
        cmd += ["--out", str(out_dir / f"{name}.txt")]
        procs[name] = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    rates = {}
    for name, proc in procs.items():
        out, _ = proc.communicate()
        if proc.returncode:
            sys.exit(f"fddb_run {name} failed")
        rates[name] = float(re.search(r"\(([\d.]+) images/s\)", out).group(1))
    print(f"ran both detectors over the set in {time.perf_counter() - started:.0f} s", flush=True)
    return rates


def evaluate(set_dir: Path, out_dir: Path, budget: int) -> dict[str, dict]:
    from millet.vision import fddb
    from millet.vision.fddb.evaluate import PUBLISHED_HEIGHT_FACTOR

    folds = fddb.read_folds(set_dir)
    results, curves = {}, {}
    for name in ("yunet", "haar"):
        detections = fddb.read_detections(out_dir / f"{name}.txt", folds, fddb.RECTANGLE)
        roc = fddb.evaluate(fddb.cases(folds, detections, set_dir))
        taller = fddb.evaluate(fddb.cases(folds, detections, set_dir), height_factor=PUBLISHED_HEIGHT_FACTOR)
        fddb.write_roc_files(roc, out_dir, prefix=f"{name}-")
        curves[name] = roc
        results[name] = {
            "faces": roc.faces,
            "images": roc.images,
            "disc": roc.tpr_at(budget),
            "cont": roc.tpr_at(budget, continuous=True),
            "disc_1000": roc.tpr_at(1000),
            "cont_1000": roc.tpr_at(1000, continuous=True),
            "disc_taller": taller.tpr_at(budget),
            "false_positives_at_lowest_threshold": roc.total_false_positives,
        }
    fddb.plot_roc_svg(
        curves,
        out_dir / "roc.svg",
        title=f"YuNet and Haar: {roc.images} images, {roc.faces} faces (dotted: the FP budget)",
        max_false_positives=max(budget * 2, 10),
        marks=(budget,),
    )
    return results


# --- speed ---------------------------------------------------------------------------------------


def bare_worker(frames: list[str], seconds: float) -> None:
    """One core's bare detector calls on decoded frames; prints its latencies (ms) and the CPU time
    it used (s) as JSON."""
    import django

    django.setup()
    from millet.vision.services import decode_image, get_detector

    detector = get_detector("yunet")
    pixels = [decode_image(Path(f).read_bytes()).pixels for f in frames]
    for p in pixels[:3]:
        detector.detect(p)
    latencies, end, i, cpu = [], time.perf_counter() + seconds, 0, time.process_time()
    while time.perf_counter() < end:
        started = time.perf_counter()
        detector.detect(pixels[i % len(pixels)])
        latencies.append((time.perf_counter() - started) * 1000)
        i += 1
    print(json.dumps({"latencies": latencies, "cpu": time.process_time() - cpu}))


def bare_speed(frames: list[Path], seconds: float, env: dict) -> dict:
    cmd = [sys.executable, __file__, "--bare-worker", str(seconds), *map(str, frames)]
    procs = [subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    reports = [json.loads(p.communicate()[0]) for p in procs]
    latencies = [ms for r in reports for ms in r["latencies"]]
    ordered = sorted(latencies)
    return {
        "rps": len(latencies) / seconds,
        "cpu_ms": round(sum(r["cpu"] for r in reports) * 1000 / len(latencies), 2),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 2),
    }


def issue_token(env: dict) -> str:
    script = (
        "import django; django.setup()\n"
        "from django.contrib.auth import get_user_model\n"
        "from millet.accounts.services import issue_token\n"
        "print(issue_token(get_user_model().objects.create_user('bench-camera-app')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, text=True, capture_output=True)
    if done.returncode:
        sys.exit(done.stderr[-2000:])
    return done.stdout.split()[-1]


def workers_cpu_seconds(server: subprocess.Popen) -> float:
    """User + system CPU time of the server's worker processes so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / tick


def api_speed(frames: list[Path], args, env: dict, work: Path) -> tuple[list[dict], list[dict]]:
    port = free_port()
    millet("migrate", "-v0", env=env)
    token = issue_token(env)
    lua = work / "detect.lua"
    lua.write_text(LUA % {"token": token})
    base = f"http://127.0.0.1:{port}"
    with serve(port, env) as server:
        # Warm-up: each worker imports its routes and loads its detector on its first upload.
        wrk(
            f"{base}/api/vision/detect",
            seconds=3,
            connections=args.connections,
            script=str(lua),
            files=frames,
        )
        trivial, detect = [], []
        for round_no in range(1, args.rounds + 1):  # alternate, keep medians: the machine is shared
            trivial.append(wrk(f"{base}/api/health", seconds=args.seconds, connections=args.connections))
            cpu = workers_cpu_seconds(server)
            result = wrk(
                f"{base}/api/vision/detect",
                seconds=args.seconds,
                connections=args.connections,
                script=str(lua),
                files=frames,
            )
            # The workers' own CPU per image: what the route costs, whoever else shares the machine.
            result["cpu_ms"] = round(
                (workers_cpu_seconds(server) - cpu) * 1000 / max(result["requests"], 1), 2
            )
            detect.append(result)
            print(
                f"round {round_no}: POST /api/vision/detect {result['rps']:.1f} images/s "
                f"(p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, non-2xx {result['non_2xx']}, "
                f"{result['cpu_ms']} CPU ms each); GET /api/health {trivial[-1]['rps']:.0f} req/s",
                flush=True,
            )
    return trivial, detect


def median_round(rounds: list[dict]) -> dict:
    rates = [r["rps"] for r in rounds]
    return rounds[rates.index(statistics.median_low(rates))]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--bare-worker":
        bare_worker(sys.argv[3:], float(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=500, help="Images in the set.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--connections", type=int, default=2, help="Requests in flight: 2 keeps one per worker busy."
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="millet-bench-vision-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "millet.settings",
        "MILLET_DATA_DIR": str(work),
        "DATABASE_URL": f"sqlite:///{work / 'millet.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "MILLET_DATA_DIR", "DATABASE_URL")})
    os.environ.pop("REDIS_URL", None)
    print(
        f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; work dir {work}",
        flush=True,
    )

    set_dir = work / "set"
    print(
        millet(
            "vision_make_set", "--n", str(args.n), "--seed", str(args.seed), "--out", str(set_dir), env=env
        )
        .strip()
        .splitlines()[-1],
        flush=True,
    )
    detect_rates = detect_all(set_dir, work, env)
    budget = round(1000 * args.n / FDDB_IMAGES)
    import django

    django.setup()
    acc = evaluate(set_dir, work, budget)
    y, h = acc["yunet"], acc["haar"]
    points = (y["disc"] - h["disc"]) * 100
    print(
        f"\n{y['images']} images, {y['faces']} faces. FP budget: 1000 x {args.n}/{FDDB_IMAGES} = {budget} "
        f"false positives (FDDB's 1,000 scaled to this set's size)"
    )
    print(f"{'':<34}{'YuNet':>10}{'Haar':>10}")
    for label, key in (
        (f"discrete TPR at {budget} FP", "disc"),
        (f"continuous TPR at {budget} FP", "cont"),
        ("discrete TPR at 1000 FP (raw)", "disc_1000"),
        ("continuous TPR at 1000 FP (raw)", "cont_1000"),
        (f"discrete, boxes 20% taller, {budget} FP", "disc_taller"),
        ("false positives, lowest threshold", "false_positives_at_lowest_threshold"),
    ):
        fmt = "{:>10}" if key.startswith("false") else "{:>10.4f}"
        print(f"{label:<34}" + fmt.format(y[key]) + fmt.format(h[key]))
    print(f"YuNet is {points:.1f} points above Haar (discrete, {budget} FP; goal {GOAL_POINTS:.0f})")
    print(
        f"fddb_run throughput (decode + detect, one process each): YuNet {detect_rates['yunet']:.1f}, "
        f"Haar {detect_rates['haar']:.1f} images/s; ROC files and roc.svg in {work}\n",
        flush=True,
    )

    frames = sorted((set_dir / "images").glob("*.jpg"))[:SPEED_FRAMES]
    bare = bare_speed(frames, args.seconds, env)
    print(
        f"bare YuNet call, 2 processes: {bare['rps']:.1f} images/s (p50 {bare['p50_ms']} ms, "
        f"p99 {bare['p99_ms']} ms, {bare['cpu_ms']} CPU ms each)",
        flush=True,
    )
    trivial, detect = api_speed(frames, args, env, work)
    api, health = median_round(detect), median_round(trivial)
    ratio = api["rps"] / bare["rps"] if bare["rps"] else 0.0
    print(
        f"median of {args.rounds} rounds: API {api['rps']:.1f} images/s (p50 {api['p50_ms']} ms, p99 "
        f"{api['p99_ms']} ms) = {ratio:.2f} of the bare call; goal {GOAL_IMAGES_PER_S:.0f} images/s; "
        f"load average after: {os.getloadavg()[0]:.2f}"
    )
    # Two dedicated cores give 2000 CPU ms a second: the capacity the measured CPU cost implies.
    capacity = 2000 / api["cpu_ms"] if api.get("cpu_ms") else 0.0
    print(
        f"CPU per image: API {api['cpu_ms']} ms (decode, detect, HTTP), bare call {bare['cpu_ms']} ms; "
        f"on 2 cores nobody else uses that is {capacity:.1f} images/s through the API "
        f"(the measured rate above is lower when other work shares the cores)"
    )
    print(
        json.dumps(
            {
                "bench": "vision",
                "value": round(api["rps"], 1),
                "unit": "images/s (640x480 JPEG, POST /api/vision/detect, YuNet, 2 cores)",
                "ceiling": round(bare["rps"], 1),
                "ratio": round(ratio, 3),
                "goal": GOAL_IMAGES_PER_S,
                "api_p50_ms": api["p50_ms"],
                "api_p99_ms": api["p99_ms"],
                "api_non_2xx": sum(r["non_2xx"] for r in detect),
                "api_cpu_ms_per_image": api["cpu_ms"],
                "api_capacity_on_2_idle_cores": round(capacity, 1),
                "bare_cpu_ms_per_image": bare["cpu_ms"],
                "load_average": round(os.getloadavg()[0], 2),
                "bare_p50_ms": bare["p50_ms"],
                "bare_p99_ms": bare["p99_ms"],
                "health_req_per_s": round(health["rps"], 1),
                "rounds_images_per_s": [round(r["rps"], 1) for r in detect],
                "set": {"images": y["images"], "faces": y["faces"], "seed": args.seed},
                "fp_budget": budget,
                "yunet_tpr_discrete": round(y["disc"], 4),
                "yunet_tpr_continuous": round(y["cont"], 4),
                "haar_tpr_discrete": round(h["disc"], 4),
                "haar_tpr_continuous": round(h["cont"], 4),
                "points_above_haar": round(points, 1),
                "goal_points": GOAL_POINTS,
                "yunet_tpr_discrete_1000fp": round(y["disc_1000"], 4),
                "haar_tpr_discrete_1000fp": round(h["disc_1000"], 4),
            }
        )
    )


if __name__ == "__main__":
    main()
