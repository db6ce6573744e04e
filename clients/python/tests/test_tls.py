"""The client over TLS: grpc+tls:// with the server's self-signed certificate as the trusted root."""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest

import labelflight as lf
from conftest import TOKEN, run_server


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test certificate")
    certs = tmp_path_factory.mktemp("tls")
    cert, key = certs / "cert.pem", certs / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    with run_server(tmp_path_factory, scheme="grpc+tls",
                    LABELFLIGHT_TLS_CERTFILE=str(cert), LABELFLIGHT_TLS_KEYFILE=str(key)) as srv:
        srv.cert = cert
        yield srv


def test_round_trip_over_tls(tls_server):
    """Verifies that a client trusting the server's certificate uploads and downloads over grpc+tls, given the
    certificate as a path or as PEM bytes."""
    frame = pd.DataFrame({"text": ["free money", "hello", "winner"], "stars": [1, 5, 2]})
    with lf.connect(tls_server.location, token=TOKEN, tls_root_certs=str(tls_server.cert)) as c:
        assert c.upload(frame, "secure", progress=False) == 1
    with lf.connect(tls_server.location, token=TOKEN, tls_root_certs=tls_server.cert.read_bytes()) as c:
        pd.testing.assert_frame_equal(c.download("secure"), frame, check_dtype=False)


def test_untrusted_certificate_is_refused(tls_server):
    """Verifies that a client without the certificate as a trusted root cannot connect (no silent downgrade)."""
    with pytest.raises(lf.LabelFlightError):
        lf.connect(tls_server.location, token=TOKEN, timeout=10)
