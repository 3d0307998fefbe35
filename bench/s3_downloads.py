"""What streaming private files from S3 through Django costs (KABINET_S3_DOWNLOADS=stream,
docs/production.md «Shared file storage (S3)»): `core.storage.private_download` of one object,
read to the end as a WSGI server would, from a local S3 server (moto on 127.0.0.1) against the
same file from the local folder, measured alternately in the same run.

    .venv/bin/python bench/s3_downloads.py --sizes 100,1000,10000 --rounds 50

Sizes in KB (a bill is about 60 KB, an appeal's file at most KABINET_APPEAL_MAX_FILE_MB).
moto is slower than a real store and runs on the same cores, so the S3 figure is a floor.
"""

import argparse
import os
from pathlib import Path
import statistics
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="object sizes in KB, comma-separated")
    parser.add_argument("--rounds", type=int, default=50, help="downloads of each size from each storage")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="kabinet-bench-s3-")
    os.environ.update(DJANGO_SETTINGS_MODULE="kabinet.settings", KABINET_DATA_DIR=data_dir)
    import django

    django.setup()
    import logging

    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage
    from django.db.models.fields.files import FieldFile
    from moto.server import ThreadedMotoServer
    from storages.backends.s3 import S3Storage

    from kabinet.core.storage import private_download
    from kabinet.settings import s3_storage

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        options = s3_storage("attachments", "bench", endpoint, "us-east-1", "bench", "bench-secret", 60)["OPTIONS"]
        s3 = S3Storage(**options)
        s3.connection.meta.client.create_bucket(Bucket="bench")
        local = FileSystemStorage(location=Path(data_dir) / "attachments")

        class Field:  # what FieldFile needs of its model field
            def __init__(self, storage):
                self.storage = storage

        def download(storage, name: str) -> float:
            started = time.perf_counter()
            response = private_download(FieldFile(None, Field(storage), name), "файл.pdf", "application/pdf")
            for _ in response.streaming_content:
                pass
            response.close()
            return time.perf_counter() - started

        print(f"{'size':>8} {'folder ms':>10} {'S3 ms':>8} {'ratio':>6} {'S3 MB/s':>8}")
        for size_kb in [int(size) for size in args.sizes.split(",")]:
            content = os.urandom(size_kb * 1024)
            names = {storage: storage.save(f"bench/{size_kb}.bin", ContentFile(content)) for storage in (local, s3)}
            times = {local: [], s3: []}
            for storage in (local, s3):  # a warm-up each: connections, imports, page cache
                download(storage, names[storage])
            for _ in range(args.rounds):
                for storage in (local, s3):  # alternately: the machine's load falls on both
                    times[storage].append(download(storage, names[storage]))
            folder_ms, s3_ms = (statistics.median(times[storage]) * 1000 for storage in (local, s3))
            print(
                f"{size_kb:>6}KB {folder_ms:>10.2f} {s3_ms:>8.2f} {s3_ms / folder_ms:>6.1f} "
                f"{size_kb / 1024 / (s3_ms / 1000):>8.1f}"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
