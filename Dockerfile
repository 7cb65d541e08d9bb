# dnssec-proxy container image (Debian 12).
#
#   docker build -t dnssec-proxy .
#   docker run -d --name dnssec-proxy --cap-add NET_BIND_SERVICE -p 127.0.0.1:53:53/udp \
#     -p 127.0.0.1:53:53/tcp -v /etc/dnssec-proxy:/etc/dnssec-proxy:ro dnssec-proxy
#
# The build stage compiles and runs the unit tests; the runtime stage is debian:12-slim with
# only the runtime libraries (dist/runtime-packages.txt), runs as the unprivileged user
# dnssec-proxy (uid 999) and reads /etc/dnssec-proxy/dnssec-proxy.toml (mount your own; the
# image's default, dist/dnssec-proxy.toml, listens on 0.0.0.0:53 and [::]:53).
# tests/fixtures/runtime_tree.sh builds the same runtime tree without Docker, and the test
# suite runs the proxy there as uid 999 (CI has no container engine).

FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake pkg-config libuv1-dev \
      libc-ares-dev libnghttp2-dev libssl-dev libtomlplusplus-dev doctest-dev \
      libfstrm-dev libprotobuf-c-dev protobuf-c-compiler \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDNSSEC_PROXY_WERROR=ON \
 && cmake --build /build -j"$(nproc)" \
 && ctest --test-dir /build --output-on-failure -R '^(crypto|config|resolver)$' \
 && strip /build/dnssec-proxy

FROM debian:12-slim
COPY dist/runtime-packages.txt /tmp/runtime-packages.txt
COPY --from=build /build/dnssec-proxy /usr/bin/dnssec-proxy
# The runtime libraries; libcap2-bin only long enough to give the binary the file capability
# that lets the non-root user bind port 53 (Docker's default capability set includes
# NET_BIND_SERVICE; with --cap-drop ALL, add it back with --cap-add NET_BIND_SERVICE).
RUN apt-get update \
 && apt-get install -y --no-install-recommends $(grep -v '^#' /tmp/runtime-packages.txt) \
      libcap2-bin \
 && setcap cap_net_bind_service=+ep /usr/bin/dnssec-proxy \
 && apt-get purge -y --auto-remove libcap2-bin \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid 999 dnssec-proxy \
 && useradd --system --uid 999 --gid 999 --home-dir /var/lib/dnssec-proxy \
      --shell /usr/sbin/nologin dnssec-proxy \
 && install -d -o dnssec-proxy -g dnssec-proxy -m 0755 /var/lib/dnssec-proxy \
 && install -d -o dnssec-proxy -g dnssec-proxy -m 0750 /run/dnssec-proxy
COPY dist/dnssec-proxy.toml /etc/dnssec-proxy/dnssec-proxy.toml
# /run/dnssec-proxy holds [control] socket: `docker exec NAME dnssec-proxy control nta list`.
# RFC 5011 state (the root anchor across key rolls): mount a volume here to keep it.
VOLUME /var/lib/dnssec-proxy
USER dnssec-proxy
# Port 53 as a non-root user: the file capability above. Without NET_BIND_SERVICE at all,
# listen on 5353 (listen = ["0.0.0.0:5353"]) and map it: -p 127.0.0.1:53:5353/udp
# -p 127.0.0.1:53:5353/tcp, and --health-check 127.0.0.1:5353.
EXPOSE 53/udp 53/tcp
# SIGTERM (docker stop) drains: [server] shutdown_grace (0 in the image's file) answering,
# then the queries in flight; a second SIGTERM stops at once.
STOPSIGNAL SIGTERM
# /health of the [metrics] listener (127.0.0.1:9153 in the image's file): 503 when an event
# loop is stuck. With a configuration of your own without [metrics], use
# --health-cmd '/usr/bin/dnssec-proxy --health-check 127.0.0.1:53' (one DNS query).
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/usr/bin/dnssec-proxy", "--health-check", "http://127.0.0.1:9153/health"]
ENTRYPOINT ["/usr/bin/dnssec-proxy"]
CMD ["--config", "/etc/dnssec-proxy/dnssec-proxy.toml"]
