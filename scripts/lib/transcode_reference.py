"""Helpers of scripts/bench-transcode.

  transcode_reference.py spec   <base.toml> <out.toml> <clip file name> <case>
      writes the spec of one benchmark case: `ladder` (the base spec as written) or `aws-qvbr`
      (the aws-qvbr preset in HLS + DASH)
  transcode_reference.py timing <list-jobs.json>
      prints the job's seconds from start to finish (GetJob's timing)
  transcode_reference.py run    <list-jobs.json> <input> <out dir>
      runs the reference: ONE ffmpeg process that decodes <input> once and encodes each distinct
      rendition of the job once (x264 veryfast, AAC), into fMP4 segments; prints its wall seconds
  transcode_reference.py report <results.tsv>
      prints the medians and ratios

The reference maps MediaConvert's settings to x264 the way the emulator documents
(emulator/docs/mediaconvert.md): QVBR level L -> CRF round(41 - 2.5 L) capped by maxrate (buffer
hrdBufferSize or 2 x maxrate), CBR and VBR -> bitrate (and maxrate), profile, level, B-frames, GOP in
seconds or frames, a keyframe at every segment boundary. Its command is kept in <out dir>/command.txt.
"""
import json
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime


def spec(base, out, clip, case):
    text = open(base).read()
    text = re.sub(r'files = \[[^\]]*\]', f'files = ["{clip}"]', text, count=1)
    if case == "aws-qvbr":
        start = text.index("[transcode]")
        end = text.index("[s3_origin]")
        role = re.search(r'role_arn = "[^"]*"', text[start:end]).group(0)
        text = (text[:start] + "[transcode]\n" + role + '\nformats = ["hls", "dash"]\n'
                + 'abr_ladder = "aws-qvbr"\n\n' + text[end:])
    open(out, "w").write(text)


def job_of(path):
    jobs = json.load(open(path))["Jobs"]
    if len(jobs) != 1:
        sys.exit(f"expected one MediaConvert job, found {len(jobs)}")
    job = jobs[0]
    if job["Status"] != "COMPLETE":
        sys.exit(f"the job ended {job['Status']}: {job.get('ErrorMessage')}")
    return job


def when(t):
    if isinstance(t, (int, float)):
        return float(t)
    return datetime.fromisoformat(t).timestamp()


def timing(path):
    t = job_of(path)["Timing"]
    print(f"{when(t['FinishTime']) - when(t['StartTime']):.3f}")


def x264_args(v, seg, fps):
    s = v["CodecSettings"].get("H264Settings", {})
    w, h = v["Width"], v["Height"]
    args = ["-vf", f"scale={w}:{h}:force_original_aspect_ratio=decrease:force_divisible_by=2,"
                   f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    if s.get("CodecProfile"):
        args += ["-profile:v", s["CodecProfile"].lower().split("_")[0]]
    if s.get("CodecLevel", "AUTO") != "AUTO":
        args += ["-level:v", s["CodecLevel"].removeprefix("LEVEL_").replace("_", ".")]
    mode = s.get("RateControlMode", "QVBR")
    buf = lambda b: str(s.get("HrdBufferSize") or 2 * b)
    if mode == "CBR":
        b = s.get("Bitrate", 1_000_000)
        args += ["-b:v", str(b), "-minrate", str(b), "-maxrate", str(b), "-bufsize", buf(b),
                 "-x264-params", "nal-hrd=cbr"]
    elif mode == "VBR":
        args += ["-b:v", str(s.get("Bitrate", 1_000_000))]
        if s.get("MaxBitrate"):
            args += ["-maxrate", str(s["MaxBitrate"]), "-bufsize", buf(s["MaxBitrate"])]
    else:
        level = s.get("QvbrSettings", {}).get("QvbrQualityLevel", 7)
        args += ["-crf", str(min(45, max(10, round(41 - 2.5 * level))))]
        if s.get("MaxBitrate"):
            args += ["-maxrate", str(s["MaxBitrate"]), "-bufsize", buf(s["MaxBitrate"])]
    gop, units = s.get("GopSize"), s.get("GopSizeUnits", "SECONDS")
    frames = gop if units == "FRAMES" and gop else (gop or min(seg, 2)) * fps
    args += ["-g", str(max(1, round(frames)))]
    if s.get("SceneChangeDetect") == "DISABLED":
        args += ["-sc_threshold", "0"]
    if "NumberBFramesBetweenReferenceFrames" in s:
        args += ["-bf", str(s["NumberBFramesBetweenReferenceFrames"])]
    args += ["-force_key_frames", f"expr:gte(t,n_forced*{seg})"]
    return args


def segments(out, name, seg):
    return ["-f", "hls", "-hls_time", str(seg), "-hls_playlist_type", "vod",
            "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", f"{name}init.mp4",
            "-hls_segment_filename", f"{out}/{name}_%05d.m4s", f"{out}/{name}.m3u8"]


def run(path, src, out):
    job = job_of(path)
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=r_frame_rate",
         "-of", "json", src], check=True, capture_output=True).stdout)
    n, d = probe["streams"][0]["r_frame_rate"].split("/")
    fps = int(n) / int(d)
    videos, audios = [], []
    for g in job["Settings"]["OutputGroups"]:
        gs = g["OutputGroupSettings"]
        seg = next((v.get("SegmentLength") for v in gs.values() if isinstance(v, dict)), None) or 6
        for o in g["Outputs"]:
            v = o.get("VideoDescription")
            if v and "H264Settings" in v.get("CodecSettings", {}):
                key = json.dumps(v, sort_keys=True)
                if key not in [k for k, _ in videos]:
                    videos.append((key, x264_args(v, seg, fps)))
            for a in o.get("AudioDescriptions", []):
                s = a["CodecSettings"].get("AacSettings", {})
                key = (s.get("Bitrate", 96000), s.get("SampleRate", 48000), s.get("CodingMode"))
                if key not in audios:
                    audios.append(key)
    n = len(videos)
    graph = f"[0:v:0]split={n}" + "".join(f"[s{i}]" for i in range(n))
    args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", src]
    outs = []
    for i, (_, va) in enumerate(videos):
        vf = va[va.index("-vf") + 1]
        graph += f";[s{i}]{vf}[v{i}]"
        rest = va[:va.index("-vf")] + va[va.index("-vf") + 2:]
        outs += ["-map", f"[v{i}]"] + rest + segments(out, f"v{i}", 6)
    args += ["-filter_complex", graph] + outs
    for i, (b, rate, mode) in enumerate(audios):
        channels = "1" if mode == "CODING_MODE_1_0" else "2"
        args += ["-map", "0:a:0", "-c:a", "aac", "-b:a", str(b), "-ar", str(rate), "-ac", channels]
        args += segments(out, f"a{i}", 6)
    with open(f"{out}/command.txt", "w") as f:
        f.write(" ".join(args) + "\n")
    t0 = time.monotonic()
    subprocess.run(args, check=True)
    print(f"{time.monotonic() - t0:.3f}")
    print(f"reference: {n} video and {len(audios)} audio encodes", file=sys.stderr)


def report(path):
    rows = {}
    for line in open(path):
        clip, case, what, secs = line.split("\t")
        rows.setdefault((clip, case), {}).setdefault(what, []).append(float(secs))
    print(f"{'clip':<22} {'ladder':<28} {'emulator (s)':>12} {'reference (s)':>13} {'ratio':>6}  runs")
    worst = 0.0
    for (clip, case), r in rows.items():
        e, f = statistics.median(r["emulator"]), statistics.median(r["reference"])
        worst = max(worst, e / f)
        runs = " ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(r["emulator"], r["reference"]))
        print(f"{clip:<22} {case:<28} {e:>12.2f} {f:>13.2f} {e / f:>6.2f}  {runs}")
    print(f"largest ratio: {worst:.2f} (target: at most 1.3)")


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    {"spec": spec, "timing": timing, "run": run, "report": report}[cmd](*rest)
