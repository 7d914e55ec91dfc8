"""Sending warnings: e-mail over SMTP, webhooks (signed, retried), the node's
MQTT topic; and the signed acknowledgement links recipients follow.

Every channel takes the message's stored CAP XML and the recipient; each
raises ``DeliveryError`` (saying whether trying again may help) so that the
runner records the outcome and tries later, never losing a warning.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import quote, urlsplit

import httpx

from .rules import Recipient

SIGNATURE_HEADER = "X-Samon-Signature"
TIMESTAMP_HEADER = "X-Samon-Timestamp"


class DeliveryError(Exception):
    """A delivery that failed: ``retry`` says whether trying again may help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Channels:
    """Where the node sends from: its SMTP server, MQTT broker, the public URL
    of its feed server (for acknowledgement links) and how hard to try."""

    sender: str = "early-warning@localhost"
    smtp_url: str | None = None  # smtp://host:port
    mqtt_url: str | None = None  # mqtt://host:port
    base_url: str = "http://127.0.0.1:8600"
    timeout_s: float = 10.0
    retries: int = 3  # tries per delivery and run (webhooks: 5xx and network errors)
    backoff_s: float = 1.0
    max_attempts: int = 20  # over all runs, then the delivery is marked failed


@dataclass(frozen=True)
class Outgoing:
    """One message to one recipient: its CAP XML and what the e-mail says."""

    identifier: str
    warning: str
    subject: str
    body: str
    cap: bytes
    ack_url: str


def ack_token(secret: bytes, warning: str, recipient: str) -> str:
    digest = hmac.new(secret, f"{warning}\n{recipient}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def ack_url(base_url: str, secret: bytes, warning: str, recipient: str) -> str:
    return (f"{base_url.rstrip('/')}/ack?w={quote(warning)}&r={quote(recipient)}"
            f"&t={ack_token(secret, warning, recipient)}")


def check_ack(secret: bytes, warning: str, recipient: str, token: str) -> bool:
    return hmac.compare_digest(ack_token(secret, warning, recipient), token)


def signature(key: bytes, timestamp: str, body: bytes) -> str:
    """The webhook signature: HMAC-SHA256 over ``timestamp.body`` (the time is
    signed too, so that a receiver can refuse an old request replayed)."""
    return "sha256=" + hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _host_port(url: str, scheme: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != scheme or not parts.hostname:
        raise DeliveryError(f"'{url}' is not a {scheme}://host:port URL", retry=False)
    return parts.hostname, parts.port or default_port


def send_email(channels: Channels, recipient: Recipient, out: Outgoing) -> None:
    if not channels.smtp_url:
        raise DeliveryError("no SMTP server is set (SAMON_SMTP_URL)", retry=False)
    host, port = _host_port(channels.smtp_url, "smtp", 25)
    mail = EmailMessage()
    mail["From"] = channels.sender
    mail["To"] = str(recipient.email)
    mail["Subject"] = out.subject
    mail["Message-ID"] = f"<{out.identifier}@{channels.sender.rsplit('@', 1)[-1]}>"
    mail.set_content(out.body + f"\n\nAcknowledge this warning: {out.ack_url}\n")
    mail.add_attachment(out.cap, maintype="application", subtype="cap+xml",
                        filename=f"{out.identifier}.xml")
    try:
        with smtplib.SMTP(host, port, timeout=channels.timeout_s) as smtp:
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"the SMTP server refused {recipient.email}: {exc}",
                            retry=False) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP {host}:{port}: {exc}", retry=True) from None


def post_webhook(channels: Channels, recipient: Recipient, out: Outgoing,
                 client: httpx.Client) -> None:
    """POST the CAP XML, signed; tried ``channels.retries`` times with growing
    pauses on a 5xx or a network error. A 4xx is not retried."""
    key = os.environ.get(str(recipient.secret_env), "")
    if not key:
        raise DeliveryError(f"the environment variable {recipient.secret_env} (the key "
                            f"the webhook of {recipient.id} is signed with) is not set",
                            retry=False)
    error = ""
    for attempt in range(channels.retries):
        if attempt:
            time.sleep(channels.backoff_s * 2 ** (attempt - 1))
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/cap+xml", TIMESTAMP_HEADER: stamp,
                   SIGNATURE_HEADER: signature(key.encode(), stamp, out.cap),
                   "X-Samon-Ack": out.ack_url}
        try:
            response = client.post(str(recipient.webhook), content=out.cap, headers=headers,
                                   timeout=channels.timeout_s)
        except httpx.HTTPError as exc:
            error = f"{recipient.webhook}: {exc}"
            continue
        if response.is_success:
            return
        error = f"{recipient.webhook} answered HTTP {response.status_code}"
        if response.status_code < 500:
            raise DeliveryError(error, retry=False)
    raise DeliveryError(f"{error} ({channels.retries} tries)", retry=True)


def publish_mqtt(channels: Channels, topic: str, out: Outgoing) -> None:
    """Publish on the node's broker with QoS 1 (the broker confirms it)."""
    import paho.mqtt.client as mqtt

    if not channels.mqtt_url:
        raise DeliveryError("no MQTT broker is set (SAMON_MQTT_URL)", retry=False)
    host, port = _host_port(channels.mqtt_url, "mqtt", 1883)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                         client_id=f"samon-ew-{os.getpid()}")
    try:
        client.connect(host, port, keepalive=30)
        client.loop_start()
        info = client.publish(topic, out.cap, qos=1)
        info.wait_for_publish(timeout=channels.timeout_s)
        if not info.is_published():
            raise DeliveryError(f"MQTT {host}:{port} did not confirm the message",
                                retry=True)
    except (OSError, ValueError, RuntimeError) as exc:
        raise DeliveryError(f"MQTT {host}:{port}: {exc}", retry=True) from None
    finally:
        client.loop_stop()
        client.disconnect()
