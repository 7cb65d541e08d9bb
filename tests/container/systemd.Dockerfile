# tests/container/systemd.Dockerfile: Debian 12 with systemd as PID 1 running
# dist/dnssec-proxy.service as shipped (DynamicUser, the seccomp filter and the rest of its
# hardening), the binary taken from the image that smoke.sh built (build arg IMAGE).
# Used by tests/container/smoke.sh; the configuration is mounted at /etc/dnssec-proxy.
ARG IMAGE=dnssec-proxy:smoke
FROM ${IMAGE} AS proxy

FROM debian:12
COPY dist/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && apt-get install -y --no-install-recommends systemd systemd-sysv \
      $(grep -v '^#' /tmp/runtime-packages.txt) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
COPY --from=proxy /usr/bin/dnssec-proxy /usr/local/bin/dnssec-proxy
COPY dist/dnssec-proxy.service /etc/systemd/system/dnssec-proxy.service
RUN systemctl enable dnssec-proxy
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
