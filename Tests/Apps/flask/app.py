"""A Flask app with Flask-Session (Redis) and Flask-Login, as the sessionctl tests drive it.

/login?user=ID logs ID in, stores the client's IP and user agent and the login time in the
session, and writes the mapping key user:<ID>:<sid> -> session:<sid>, as the production
design does; /me answers 200 "user=ID" while the session authenticates, else 401. /slow?ms=N is
a request in flight: it reads the session, waits N ms, changes it, and Flask-Session saves it as
the response goes out.
"""
import os
import time

import redis
from flask import Flask, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user
from flask_session import Session

store = redis.Redis(host="127.0.0.1", port=int(os.environ["REDIS_PORT"]))
app = Flask(__name__)
app.config.update(
    SECRET_KEY="sessionctl-test",
    SESSION_TYPE="redis",
    SESSION_REDIS=store,
    SESSION_PERMANENT=True,
    PERMANENT_SESSION_LIFETIME=3600,
    # token_urlsafe's bytes: 32 (the default) makes 43 characters, 64 makes 86.
    SESSION_ID_LENGTH=int(os.environ.get("SESSION_ID_LENGTH", "32")),
)
Session(app)
login = LoginManager(app)


class User(UserMixin):
    def __init__(self, uid):
        self.id = uid


@login.user_loader
def load_user(uid):
    return User(uid)


@app.route("/login")
def do_login():
    uid = request.args["user"]
    login_user(User(uid))
    session["ip"] = request.remote_addr
    session["user_agent"] = request.headers.get("User-Agent", "")
    session["created_at"] = int(time.time())
    # Flask-Session stores the session under its key prefix + sid when the response is sent.
    store.set(f"user:{uid}:{session.sid}", f"session:{session.sid}", ex=3600)
    return "ok"


@app.route("/me")
def me():
    if current_user.is_authenticated:
        return f"user={current_user.id}"
    return "anonymous", 401


@app.route("/slow")
def slow():
    logged_in = current_user.is_authenticated
    time.sleep(int(request.args.get("ms", "1500")) / 1000)
    session["touched"] = time.time()
    if logged_in:
        return f"user={current_user.id}"
    return "anonymous", 401


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]), threaded=True)
