"""Both blob stores behave the same: a local directory, and S3 (a moto server on loopback)."""
from __future__ import annotations

import io
import os
import re

import pytest
from botocore.exceptions import EndpointConnectionError

from tests.conftest import web_login
from tests.messages.helpers import compose, notification_link
from tests.storage.conftest import REGION, closed_port_url, s3_client, start_moto
from zegel.storage import StorageUnavailable, storage_from_config
from zegel.storage.local import LocalBlobStore
from zegel.storage.s3 import PART_SIZE, S3BlobStore

MiB = 1024 * 1024
BLOB = bytes(range(256)) * 40  # 10,240 bytes
KEY = "att/m1/a1"


class Failing(Exception):
    pass


def chunks_then_fail(data: bytes, chunk: int, fail_after: int):
    """Yields ``data`` in pieces, then raises before the stream is complete."""
    sent = 0
    while sent < fail_after:
        yield data[sent:sent + chunk]
        sent += chunk
    raise Failing("the upload stream broke")


@pytest.fixture(params=["local", "s3"])
def kind(request):
    return request.param


@pytest.fixture
def store(kind, tmp_path, request):
    if kind == "local":
        return LocalBlobStore(tmp_path / "blobs")
    name, _ = request.getfixturevalue("bucket")
    return S3BlobStore(name, "zegel/blobs", endpoint_url=request.getfixturevalue("moto_url"), region=REGION)


def leftovers(kind, store, tmp_path) -> list[str]:
    """Everything the store holds: files (partial ones too), or objects and unfinished multipart uploads."""
    if kind == "local":
        root = tmp_path / "blobs"
        return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()] if root.exists() else []
    client = store.client
    objects = client.list_objects_v2(Bucket=store.bucket).get("Contents", [])
    uploads = client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
    return [o["Key"] for o in objects] + [f"upload:{u['Key']}" for u in uploads]


def test_round_trip(store):
    assert store.put(KEY, [BLOB[:1000], b"", BLOB[1000:]]) == len(BLOB)
    assert store.size(KEY) == len(BLOB)
    assert store.read_at(KEY, 0, len(BLOB)) == BLOB


def test_put_replaces_a_blob(store):
    store.put(KEY, [b"first version"])
    store.put(KEY, [b"second"])
    assert store.read_at(KEY, 0, 100) == b"second" and store.size(KEY) == 6


def test_empty_blob(store):
    assert store.put(KEY, []) == 0
    assert store.size(KEY) == 0
    assert store.read_at(KEY, 0, 10) == b""


@pytest.mark.parametrize("offset,length", [
    (0, 100),                   # start
    (5000, 1),                  # one byte in the middle
    (4000, 3000),               # middle
    (len(BLOB) - 40, 40),       # exactly the end
    (len(BLOB) - 40, 1000),     # runs past the end: what there is
    (len(BLOB), 10),            # at the end
    (len(BLOB) + 500, 10),      # past the end
    (123, 0),                   # nothing
])
def test_read_at_ranges(store, offset, length):
    store.put(KEY, [BLOB])
    assert store.read_at(KEY, offset, length) == BLOB[offset:offset + length]


def test_delete_then_missing(store):
    store.put(KEY, [BLOB])
    store.delete(KEY)
    with pytest.raises(FileNotFoundError):
        store.size(KEY)
    with pytest.raises(FileNotFoundError):
        store.read_at(KEY, 0, 10)
    with pytest.raises(FileNotFoundError):
        store.read_at(KEY, 0, 0)
    store.delete(KEY)  # deleting again is fine


def test_never_written_is_missing(store):
    with pytest.raises(FileNotFoundError):
        store.size("att/none/none")
    with pytest.raises(FileNotFoundError):
        store.read_at("att/none/none", 0, 1)


@pytest.mark.parametrize("key", ["../escape", "/abs", "Att/x", "att/../x", "", "att/x y"])
def test_bad_keys_are_refused(store, key):
    with pytest.raises(ValueError):
        store.put(key, [b"x"])


@pytest.mark.parametrize("fail_after", [3 * 1024, 10 * MiB], ids=["small", "after-a-part"])
def test_broken_stream_leaves_nothing(kind, store, tmp_path, fail_after):
    data = os.urandom(12 * MiB)
    with pytest.raises(Failing):
        store.put(KEY, chunks_then_fail(data, MiB if fail_after > MiB else 1024, fail_after))
    with pytest.raises(FileNotFoundError):
        store.size(KEY)
    assert leftovers(kind, store, tmp_path) == []


def test_broken_stream_keeps_the_previous_version(kind, store, tmp_path):
    store.put(KEY, [BLOB])
    with pytest.raises(Failing):
        store.put(KEY, chunks_then_fail(os.urandom(12 * MiB), MiB, 9 * MiB))
    assert store.read_at(KEY, 0, len(BLOB)) == BLOB and store.size(KEY) == len(BLOB)
    assert len(leftovers(kind, store, tmp_path)) == 1


def test_large_put_streams(kind, store):
    data = os.urandom(20 * MiB)
    parts = []
    if kind == "s3":
        store.client.meta.events.register(
            "provide-client-params.s3.UploadPart", lambda params, **_: parts.append(len(params["Body"])))
        put_objects = []
        store.client.meta.events.register("provide-client-params.s3.PutObject", lambda **_: put_objects.append(1))
    assert store.put(KEY, (data[i:i + MiB] for i in range(0, len(data), MiB))) == len(data)
    assert store.size(KEY) == len(data)
    for offset in (0, PART_SIZE - 10, 2 * PART_SIZE + 5, len(data) - 100):
        assert store.read_at(KEY, offset, 200) == data[offset:offset + 200]
    if kind == "s3":
        assert parts == [PART_SIZE, PART_SIZE, 4 * MiB] and not put_objects
        etag = store.client.head_object(Bucket=store.bucket, Key=f"zegel/blobs/{KEY}")["ETag"]
        assert etag.strip('"').endswith("-3")  # a multipart object
        assert store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []


def test_large_chunks_are_cut_into_parts(bucket, moto_url):
    name, client = bucket
    store = S3BlobStore(name, endpoint_url=moto_url, region=REGION)
    parts = []
    store.client.meta.events.register(
        "provide-client-params.s3.UploadPart", lambda params, **_: parts.append(len(params["Body"])))
    data = os.urandom(2 * PART_SIZE + 123)
    assert store.put(KEY, [data[:5], data[5:]]) == len(data)
    assert parts == [PART_SIZE, PART_SIZE, 123]
    assert client.get_object(Bucket=name, Key=KEY)["Body"].read() == data  # no prefix: the key as is


def test_a_failing_part_aborts_the_upload(bucket, moto_url):
    name, client = bucket
    store = S3BlobStore(name, "p", endpoint_url=moto_url, region=REGION, max_attempts=1)
    calls = []

    def refuse_second_part(params, **_):
        calls.append(params["PartNumber"])
        if params["PartNumber"] == 2:
            raise EndpointConnectionError(endpoint_url=moto_url)
    store.client.meta.events.register("provide-client-params.s3.UploadPart", refuse_second_part)
    data = os.urandom(20 * MiB)
    with pytest.raises(StorageUnavailable, match="S3 upload failed"):
        store.put(KEY, (data[i:i + MiB] for i in range(0, len(data), MiB)))
    assert calls == [1, 2]
    assert client.list_multipart_uploads(Bucket=name).get("Uploads", []) == []
    assert client.list_objects_v2(Bucket=name).get("KeyCount") == 0


def test_storage_down(kind, tmp_path, aws_env):
    """A store that cannot be reached says so: StorageUnavailable with a short message, no traceback text."""
    if kind == "local":
        (tmp_path / "blobs").write_bytes(b"a file where the directory should be")
        with pytest.raises(StorageUnavailable, match="could not write blob"):
            LocalBlobStore(tmp_path / "blobs").put(KEY, [BLOB])
        return
    server, url = start_moto()
    s3_client(url).create_bucket(Bucket="zegel-down", CreateBucketConfiguration={"LocationConstraint": REGION})
    store = S3BlobStore("zegel-down", endpoint_url=url, region=REGION, max_attempts=2, connect_timeout=1)
    store.put(KEY, [BLOB])
    assert store.read_at(KEY, 0, 4) == BLOB[:4]
    server.stop()
    for call in (lambda: store.put(KEY, [BLOB]), lambda: store.read_at(KEY, 0, 10), lambda: store.size(KEY),
                 lambda: store.delete(KEY), lambda: store.put(KEY, [os.urandom(9 * MiB)])):
        with pytest.raises(StorageUnavailable) as err:
            call()
        assert re.fullmatch(r"S3 \w+ failed: \w+", str(err.value)), str(err.value)


def test_wrong_endpoint_port(aws_env):
    store = S3BlobStore("zegel", endpoint_url=closed_port_url(), region=REGION, max_attempts=1)
    with pytest.raises(StorageUnavailable, match="EndpointConnectionError"):
        store.size(KEY)
    with pytest.raises(StorageUnavailable):
        store.put(KEY, [BLOB])


def test_missing_bucket_is_unavailable_not_missing(moto_url, aws_env):
    store = S3BlobStore("zegel-no-such-bucket", endpoint_url=moto_url, region=REGION)
    with pytest.raises(StorageUnavailable, match="NoSuchBucket"):
        store.put(KEY, [BLOB])
    with pytest.raises(StorageUnavailable, match="NoSuchBucket"):
        store.read_at(KEY, 0, 10)


def test_wrong_credentials_are_unavailable(bucket, moto_url, monkeypatch):
    name, _ = bucket
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    store = S3BlobStore(name, endpoint_url=moto_url, region=REGION)
    with pytest.raises(StorageUnavailable, match="NoCredentialsError"):
        store.put(KEY, [BLOB])


def test_factory_follows_the_storage_url(make_config, tmp_path, moto_url, aws_env):
    local = storage_from_config(make_config())
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path / "blobs"
    elsewhere = storage_from_config(make_config(ZEGEL_STORAGE_URL=f"file://{tmp_path}/other%20place"))
    assert isinstance(elsewhere, LocalBlobStore) and elsewhere.root == tmp_path / "other place"
    s3 = storage_from_config(make_config(ZEGEL_STORAGE_URL="s3://zegel-blobs/prod/attachments/",
                                         ZEGEL_S3_ENDPOINT_URL=moto_url + "/"))
    assert isinstance(s3, S3BlobStore) and (s3.bucket, s3.prefix) == ("zegel-blobs", "prod/attachments/")
    assert s3.client.meta.endpoint_url == moto_url and s3.client.meta.region_name == REGION
    aws = storage_from_config(make_config(ZEGEL_STORAGE_URL="s3://zegel-blobs", ZEGEL_S3_REGION="eu-central-1"))
    assert aws.prefix == "" and aws.client.meta.region_name == "eu-central-1"
    assert aws.client.meta.endpoint_url == "https://s3.eu-central-1.amazonaws.com"


class TestAppWithS3:
    """The whole app with ZEGEL_STORAGE_URL=s3://…: a sent attachment lives encrypted in the bucket."""

    @pytest.fixture
    def config(self, make_config, bucket, moto_url):
        return make_config(ZEGEL_STORAGE_URL=f"s3://{bucket[0]}/zegel/blobs", ZEGEL_S3_ENDPOINT_URL=moto_url)

    @pytest.mark.usefixtures("anna")
    def test_send_and_download_through_s3(self, client, new_client, worker, bucket, tmp_path):
        name, s3 = bucket
        needle = b"geheime uitslag 8d1e4c "
        data = b"%PDF-1.4 " + needle * 20_000 + os.urandom(100_000)
        web_login(client, worker)
        compose(client, [{"email": "otto@ontvanger.nl", "method": "none"}], files=[(io.BytesIO(data), "x.pdf")])

        objects = s3.list_objects_v2(Bucket=name)["Contents"]
        assert len(objects) == 1 and re.fullmatch(r"zegel/blobs/att/[^/]+/[^/]+", objects[0]["Key"])
        stored = s3.get_object(Bucket=name, Key=objects[0]["Key"])["Body"].read()
        assert needle not in stored and data[-1000:] not in stored and len(stored) > len(data)
        assert not (tmp_path / "blobs").exists()  # nothing went to the local directory

        link = notification_link(client, worker, "otto@ontvanger.nl")
        otto = new_client()
        assert otto.post_form(f"{link}/open", {}, token_from=link).status_code == 302
        page = otto.get(f"{link}/read").get_data(as_text=True)
        href = re.search(r'href="(/r/[^"]+/attachments/[^"]+)"', page).group(1)
        download = otto.get(href)
        assert download.status_code == 200 and download.data == data
