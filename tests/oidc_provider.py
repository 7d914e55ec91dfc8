"""A real OpenID Connect provider on 127.0.0.1, for tests: discovery, an
authorization endpoint with a login form, the token endpoint (authorization
code, optional PKCE), JWKS and userinfo. ID tokens are RS256 JWTs signed with
a key made at start (joserfc, Authlib's JOSE library). Users and their claims are given at
construction; the form takes a user name and password.

    with OIDCProvider({"amina": ("pw", {"agency": "NDMA-PK", "role": "analyst"})}) as idp:
        idp.issuer  # http://127.0.0.1:PORT
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "samon-test"
CLIENT_SECRET = secrets.token_urlsafe(24)


class OIDCProvider:
    def __init__(self, users: dict[str, tuple[str, dict]]):
        self.users = users
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, str] = {}  # access token -> user
        self.logins: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> OIDCProvider:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def metadata(self) -> dict:
        i = self.issuer
        return {"issuer": i, "authorization_endpoint": f"{i}/authorize",
                "token_endpoint": f"{i}/token", "jwks_uri": f"{i}/jwks",
                "userinfo_endpoint": f"{i}/userinfo", "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                          "client_secret_basic"],
                "code_challenge_methods_supported": ["S256"]}

    def _claims(self, user: str) -> dict:
        return {"sub": user, "preferred_username": user, "email": f"{user}@example.org",
                **self.users[user][1]}

    def _id_token(self, user: str, nonce: str | None) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 600,
                  **self._claims(user)}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)

    def _handler(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes, kind: str, headers=()) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, value: dict, status: int = 200) -> None:
                self._send(status, json.dumps(value).encode(), "application/json")

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json(idp.metadata())
                elif url.path == "/jwks":
                    self._json({"keys": [idp.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    fields = "".join(f'<input type="hidden" name="{html.escape(k)}" '
                                     f'value="{html.escape(v)}">' for k, v in query.items())
                    page = (f"<html><body><h1>Test identity provider</h1><form method='post' "
                            f"action='/authorize'>{fields}<label>User <input name='username'>"
                            "</label><label>Password <input name='password' type='password'>"
                            "</label><button type='submit'>Sign in</button></form>"
                            "</body></html>")
                    self._send(200, page.encode(), "text/html")
                elif url.path == "/userinfo":
                    user = idp.tokens.get(self.headers.get("Authorization", "")[7:])
                    if user is None:
                        self._json({"error": "invalid_token"}, 401)
                    else:
                        self._json(idp._claims(user))
                else:
                    self._send(404, b"not found", "text/plain")

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path == "/authorize":
                    user = form.get("username", "")
                    if user not in idp.users or idp.users[user][0] != form.get("password"):
                        self._send(401, b"<p>wrong user name or password</p>", "text/html")
                        return
                    code = secrets.token_urlsafe(16)
                    idp.codes[code] = {"user": user, "nonce": form.get("nonce"),
                                       "redirect_uri": form["redirect_uri"],
                                       "challenge": form.get("code_challenge")}
                    idp.logins.append(user)
                    target = form["redirect_uri"] + "?" + urlencode(
                        {"code": code, "state": form.get("state", "")})
                    self._send(302, b"", "text/plain", [("Location", target)])
                elif self.path == "/token":
                    self._token(form)
                else:
                    self._send(404, b"not found", "text/plain")

            def _token(self, form: dict) -> None:
                client_id, secret = form.get("client_id"), form.get("client_secret")
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
                    self._json({"error": "invalid_client"}, 401)
                    return
                grant = idp.codes.pop(form.get("code", ""), None)
                if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                    self._json({"error": "invalid_grant"}, 400)
                    return
                if grant["challenge"]:
                    verifier = form.get("code_verifier", "").encode()
                    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest())
                    if digest.rstrip(b"=").decode() != grant["challenge"]:
                        self._json({"error": "invalid_grant"}, 400)
                        return
                access = secrets.token_urlsafe(24)
                idp.tokens[access] = grant["user"]
                self._json({"access_token": access, "token_type": "Bearer", "expires_in": 600,
                            "id_token": idp._id_token(grant["user"], grant["nonce"])})

        return Handler
