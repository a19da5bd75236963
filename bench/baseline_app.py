"""The benchmark's baseline: a trivial Flask app that only writes the request body to a file and reads it back."""
import os

from flask import Flask, Response, request

app = Flask(__name__)
PATH = os.environ.get("BASELINE_FILE", "/tmp/zegel-baseline.bin")


@app.put("/blob")
def put():
    with open(PATH, "wb") as fh:
        while chunk := request.stream.read(256 * 1024):
            fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())
    return "", 204


@app.get("/blob")
def get():
    def chunks():
        with open(PATH, "rb") as fh:
            while chunk := fh.read(256 * 1024):
                yield chunk
    return Response(chunks(), mimetype="application/octet-stream",
                    headers={"Content-Length": str(os.path.getsize(PATH))})
