#!/usr/bin/env bats
# Seed 003's echo service, as the seed builds and runs it: `berth image build -t "echo_service" .`
# of a Dockerfile with MAINTAINER, a RUN that apt-gets Python and Flask from Debian's mirror (over
# the default bridge) and an exec-form ENTRYPOINT, then `run -d -p` and a request to /predict.
# The base is debian:bookworm made by scripts/make-base.sh (debootstrap, its tarball cached in
# /var/cache/berth/debootstrap or $BERTH_BASE_CACHE), tagged as the seed's ubuntu:latest.
# Warm (cached tarball): about 1 to 2 minutes, mostly apt.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  export BERTH_ROOT=$BERTH_TEST_ROOT BERTH_RUNROOT=$BERTH_TEST_ROOT/run
  BERTH=$BERTH bash "$BERTH_SRC/scripts/make-base.sh" >&3
  berth tag debian:bookworm ubuntu:latest
  export ECHO_PORT
  ECHO_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
}
teardown_file() {
  berth_teardown_file
}

@test "seed 003: berth image build -t \"echo_service\" . with MAINTAINER, RUN apt-get install python3-flask, ENTRYPOINT" {
  CTX="$BERTH_TEST_ROOT/echo"
  mkdir -p "$CTX"
  cd "$CTX"
  cat > echo.py <<'PY'
# load Flask
import flask
app = flask.Flask(__name__)
# define a predict function as an endpoint
@app.route("/predict", methods=["GET","POST"])
def predict():
    data = {"success": False}
    # get the request parameters
    params = flask.request.get_json(silent=True)
    if (params == None):
        params = flask.request.args
    # if parameters are found, echo the msg parameter
    if (params != None):
        data["response"] = params.get("msg")
        data["success"] = True
    # return a response in json format
    return flask.jsonify(data)

# start the flask app, allow remote connections
app.run(host='0.0.0.0', port = 80)
PY
  # The seed's Dockerfile, with Debian's Flask package instead of pip (only Debian's mirror is
  # reachable from here).
  cat > Dockerfile <<'DF'
FROM ubuntu:latest
MAINTAINER Ben Weber
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 python3-flask \
  && cd /usr/local/bin \
  && ln -s /usr/bin/python3 python

COPY echo.py echo.py
ENTRYPOINT ["python3","echo.py"]
DF
  run berth image build -t "echo_service" .
  expect_status 0
  [[ "$output" == *"naming to docker.io/library/echo_service:latest done"* ]]
  run berth images --format '{{.Repository}}:{{.Tag}}' echo_service
  [ "$output" = "echo_service:latest" ]
  run berth inspect --format '{{.Author}} {{json .Config.Entrypoint}}' echo_service
  [ "$output" = 'Ben Weber ["python3","echo.py"]' ]
  run berth history --format '{{.CreatedBy}}' --no-trunc echo_service
  [[ "$output" == *"MAINTAINER Ben Weber"* ]]
  # A rebuild changes nothing and runs nothing.
  run berth image build --progress=plain -t "echo_service" .
  expect_status 0
  [ "$(grep -c CACHED <<<"$output")" -eq 2 ]

  run berth run -d -p "127.0.0.1:$ECHO_PORT:80" --name echo echo_service
  expect_status 0
  body=
  for _ in $(seq 50); do
    body=$(curl -fsS --max-time 5 "http://127.0.0.1:$ECHO_PORT/predict?msg=Hi_from_berth" 2>/dev/null) && break
    sleep 0.2
  done
  echo "response: $body"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d == {"response": "Hi_from_berth", "success": True}, d' "$body"
  run curl -fsS --max-time 5 -X POST -H 'Content-Type: application/json' -d '{"msg":"posted"}' "http://127.0.0.1:$ECHO_PORT/predict"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d == {"response": "posted", "success": True}, d' "$output"
  berth rm -f echo >/dev/null
}
