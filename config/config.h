// config/config.h: the plain Config struct the proxy runs with, its built-in defaults, and the
// address helpers shared by the file, the command line and resolv.conf. No toml++ here:
// config/load.h turns a TOML file plus the command line into a Config.
//
// Configuration file reference (default path /etc/dnssec-proxy/dnssec-proxy.toml; the README
// copies this block). Every key is optional; a missing key keeps its default. Anything not
// listed here (an unknown table or key, a wrong type, a number out of range, a bad address
// or log level) is an error naming file, line and key, and all errors are reported at once.
//
//   [server]
//   listen = ["127.0.0.1:53", "[::1]:53"]
//       Addresses to answer queries on, UDP and TCP. Each entry is an IP address literal
//       with an optional port: "ADDR", "ADDR:PORT", "[V6]", "[V6]:PORT", or a bare IPv6
//       address such as "::1" (then without port). The port defaults to 53 and must be
//       1-65535. Host names are not accepted. At least one entry, no entry twice.
//       Default: ["127.0.0.1:53", "[::1]:53"]. Replaced by --listen.
//   tcp_idle_timeout_ms = 10000
//       Close a client TCP connection idle this long. 1-60000 ms. Default 10000.
//   tcp_max_connections = 256
//       Most client TCP connections open at once. 1-65535. Default 256.
//   tcp_max_queries_per_connection = 100
//       Most queries of one TCP connection read and not answered yet; past it the
//       connection is not read until replies drain (RFC 7766 §6.2.1.1 pipelining), so one
//       client cannot take all of max_queries_in_flight. 1-65535. Default 100.
//   max_queries_in_flight = 10000
//       Most client queries waiting for an upstream answer or a validation at once, all
//       event loops together (cache hits and answers synthesised from NSEC do not count).
//       Past it a query gets SERVFAIL with EDE 0 "too many queries in flight". 1-1000000.
//       Default 10000.
//   threads = 2
//       Event loops, each on its own thread with its own sockets (SO_REUSEPORT), sharing the
//       caches. 1-64. Default: one per CPU the process may run on (sched_getaffinity; in a
//       container with a CPU quota, set it to the quota). Replaced by --threads.
//   user = "dnssec-proxy"
//   group = "dnssec-proxy"
//       After binding the listeners (port 53 needs root or CAP_NET_BIND_SERVICE), drop to
//       this user and group (setgroups, setgid, setuid). A name or a numeric id, non-empty.
//       group defaults to the user's primary group. Default: keep running as started. A
//       user or group that does not exist is an error at start-up.
//   shutdown_grace = 0
//       Seconds the proxy keeps answering after SIGTERM while /ready already says 503
//       (draining: load balancers and probes stop sending first). Then the listeners close,
//       queries in flight get their answer or SERVFAIL within query_timeout_ms, and the
//       proxy exits 0. A second SIGTERM stops at once. 0-300. Default 0.
//   reuse_port = false
//       Bind every listener with SO_REUSEPORT, even with one thread, and do not refuse a
//       port another process of the same user already holds with SO_REUSEPORT: a new
//       dnssec-proxy can then start beside the old one, which is drained with SIGTERM
//       (a handover without a lost query). true or false. Default false (a second proxy
//       on the same port is refused at start).
//   udp_receive_buffer = 4194304
//       Octets of kernel receive buffer for each UDP listening socket (Unbound's so-rcvbuf):
//       queries that arrive in a burst faster than an event loop reads them wait there, and
//       the kernel drops what does not fit. The proxy asks with SO_RCVBUFFORCE, which only
//       root or CAP_NET_ADMIN may use past net.core.rmem_max (it binds before dropping
//       privileges), else with SO_RCVBUF, capped by rmem_max. 0 keeps the system's default
//       (net.core.rmem_default, often 208 KiB). 0-268435456. Default 4194304 (4 MiB), best
//       effort; a value set here that the kernel does not grant is logged with the remedy.
//       For listeners opened from then on (a reload keeps open ones as they are); not for
//       sockets systemd passes (ReceiveBuffer= in the .socket unit).
//
//   [upstream]
//   servers = ["127.0.0.1:5300", "[::1]:5301", "tls://9.9.9.9#dns.quad9.net"]
//       Recursive resolvers to forward queries to, tried in order, no entry twice. Empty or
//       absent: the nameservers of /etc/resolv.conf. Replaced by --upstream. Each entry is
//       one of:
//         "ADDR[:PORT]"              plain DNS over UDP and TCP; same address syntax as
//                                    listen, port 53 by default
//         "tls://ADDR[:PORT]#NAME"   DNS-over-TLS (RFC 7858), port 853 by default, strict
//                                    (RFC 8310): the certificate must be valid for NAME
//                                    (checked against tls_ca_file or the system store);
//                                    never a cleartext fallback
//         "https://ADDR[:PORT]/PATH#NAME"
//                                    DNS-over-HTTPS (RFC 8484, HTTP/2), port 443 by
//                                    default, the certificate checked against NAME as for
//                                    tls; PATH defaults to /dns-query
//         "https://HOST[:PORT]/PATH" DNS-over-HTTPS to a host name: its addresses come
//                                    from [upstream.bootstrap] (never from DNS), one
//                                    server per address; the certificate must be valid
//                                    for HOST
//         { address = "ADDR[:PORT]", transport = "tls", auth_name = "NAME",
//           spki_pins = ["BASE64"] }  an inline table, as [[upstream.server]] below
//   [[upstream.server]]
//   address = "9.9.9.9"          ADDR[:PORT], port by transport (53 plain, 853 tls, 443
//                                https)
//   transport = "tls"            "udp" (plain DNS, UDP then TCP; the default), "tls" or
//                                "https"
//   url = "https://dns.quad9.net/dns-query"
//                                https: the URL (transport may be left out); with a host
//                                name, its addresses are `bootstrap` (or the
//                                [upstream.bootstrap] entry for it)
//   bootstrap = ["9.9.9.9", "2620:fe::fe"]
//                                https: the addresses of url's host (instead of address)
//   auth_name = "dns.quad9.net"  tls, https: the name the certificate must be valid for
//                                (https: the URL's host name by default)
//   spki_pins = ["BASE64="]      tls, https: RFC 7858 §4.2 pins, base64 of the SHA-256 of
//       the certificate's SubjectPublicKeyInfo; one must match a certificate the server
//       shows. With pins and no auth_name, the pins alone authenticate the server (the CA
//       store is not used); with both, both must hold. An encrypted server needs one or the
//       other. Each [[upstream.server]] table adds its servers after those of `servers`.
//   [upstream.bootstrap]
//   "dns.quad9.net" = ["9.9.9.9", "149.112.112.112"]
//       The addresses of DNS-over-HTTPS host names (the proxy never resolves them through
//       itself or anything else): for "https://HOST/PATH" entries of `servers` and
//       --upstream.
//   tls_ca_file = "/etc/dnssec-proxy/ca.pem"
//       PEM certificates that tls servers' certificates must chain to, instead of the
//       system store (OpenSSL's default paths, /etc/ssl/certs). A non-empty path.
//       Replaced by --tls-ca-file.
//   timeout_ms = 1500
//       Wait this long for one upstream answer before retrying. 1-60000 ms. Default 1500.
//   attempts = 2
//       Tries per upstream server. 1-10. Default 2.
//   query_timeout_ms = 5000
//       A client gets SERVFAIL at the latest this long after its query, whatever the
//       upstreams and the validation still need. 1-60000 ms. Default 5000.
//   strategy = "order"
//       Which server a query goes to first: "order" (the configured order), "fastest"
//       (the lowest smoothed RTT, randomly among those within 400 ms of it, as Unbound
//       picks; a slower one is re-measured now and then) or "round-robin". Servers that
//       stopped answering are tried last until they answer again, whatever the strategy.
//   hedge = true
//       When the server asked has not answered after a delay adapted from its RTT (50-250
//       ms, RFC 8305's spirit), ask the next one too and take the first answer: a server
//       that black-holes costs one delay, not a timeout. false: the next server is asked
//       only after a failure or timeout.
//
//   [dnssec]
//   trust_anchor_file = "/etc/dnssec-proxy/root.key"
//       Root trust anchors to validate from, instead of the built-in root anchors. A
//       non-empty path, used as written (a relative path is relative to the working
//       directory). Default: built-in anchors. Replaced by --trust-anchor.
//   trust_anchor_state = "/var/lib/dnssec-proxy/root-anchor.state"
//       Keep the root anchor current by RFC 5011 automated updates, in this file (created
//       if missing, seeded from the anchors above; rewritten on every change). Its directory
//       must be writable by the user the proxy runs as. A non-empty path. Default: off (the
//       anchors stay as configured).
//   negative_trust_anchors = ["broken.example",
//                             { zone = "late.example", until = "2027-01-01T00:00:00Z" }]
//       Domains whose answers are not validated (RFC 7646): at or below them an answer is
//       insecure (AD clear, never SERVFAIL for DNSSEC reasons), and the log says so. Each a
//       domain name (letters, digits, '-', '_'; labels 1-63 octets), not the root, each
//       once; or a table with that name as `zone` and `until`, the UTC time at which the
//       anchor expires (RFC 7646 §2: anchors are temporary), a TOML date-time or a string
//       "YYYY-MM-DDTHH:MM:SSZ". An expired anchor is logged and dropped (at start-up,
//       reload, or while running). Default: none. `dnssec-proxy control nta add` adds
//       anchors at run time (1 h by default).
//   private_zones = ["home.arpa", "lan"]
//       Zones the public root can only deny (private networks' names and reverse zones):
//       treated as insecure, like negative trust anchors, so that a private answer is passed
//       with AD clear instead of failing against the root's proof that the name does not
//       exist. Default, with the built-in root anchors only: systemd-resolved's built-in
//       list (dnssec-trust-anchors.d(5)) plus the RFC 6598 and link-local reverse zones
//       (kDefaultPrivateZones); with a trust_anchor_file (a private root may sign them):
//       none. A list replaces the default; [] empties it.
//   clock = "strict"
//       What the proxy does while it cannot believe the wall clock (before the time floor:
//       its build time or time_file; for "until-synced" also while the kernel reports the
//       clock unsynchronised). "strict": every RRSIG validity window is checked as always,
//       and the log and the EDE text say when the clock looks wrong. "until-synced": until
//       the clock is first verified, validity windows are not checked (everything else is)
//       and such answers carry AD clear and EDE 0 "time not checked", so that an NTP client
//       can resolve its servers. Default "strict".
//   time_file = "/var/lib/dnssec-proxy/time"
//       Where the proxy keeps the time it last ran (read at start: the time floor is the
//       later of it and the build time; rewritten every hour and at exit while the clock
//       is verified). Its directory must be writable by the user the proxy runs as. A
//       non-empty path. Default: none (the floor is the build time).
//   root_key_sentinel = true
//       Answer RFC 8509 root key sentinel queries (A/AAAA for root-key-sentinel-is-ta-NNNNN
//       and root-key-sentinel-not-ta-NNNNN names) from the root trust anchors in use: the
//       answer, or SERVFAIL, as the RFC says. true or false. Default true.
//
//   [[forward]]
//   zone = "corp.example"        a domain (not the root: that is [upstream])
//   servers = ["10.0.0.53"]      as [upstream] servers (plain, tls://, https://)
//   dnssec = "validate"          "validate" (the default: validated as any answer; the
//                                zone's DS is asked of the parent's servers) or "insecure"
//                                (answers passed with AD clear, never SERVFAIL for DNSSEC
//                                reasons, like Unbound's domain-insecure)
//       Split DNS: questions for names at or below `zone`, and the validator's questions
//       about them (DNSKEY; DS of names below the zone), go to these servers; the longest
//       matching zone wins, everything else goes to [upstream]. Answers synthesised from
//       NSEC/NSEC3 records (RFC 8198) never cross into a forward zone from above it. Each
//       zone once.
//
//   [log]
//   level = "info"
//       One of "error", "warn", "info", "debug" (lower case). Default "info". Replaced by
//       --log-level.
//   queries = false
//       One info line per answered query: client, question, rcode, AD, cache hit, upstream,
//       microseconds, EDE code. true or false. Default false.
//   queries_per_second = 100
//       At most this many query lines per second and event loop; the lines past it are
//       counted and one line says how many were suppressed. 1-100000. Default 100.
//
//   [limits]
//   The work one client query may cause while it is validated (CVE-2023-50387 KeyTrap,
//   CVE-2023-50868). Reaching one gives SERVFAIL with EDE 6 (DNSSEC Bogus), never a hang.
//   max_signature_checks = 64    signature verifications per query, 1-10000
//   max_failed_checks_per_rrset = 16
//                                failed signature verifications on one RRset before it is
//                                bogus, 1-1000. Every DNSKEY sharing an RRSIG's key tag and
//                                algorithm is tried: legitimate zones may have colliding tags.
//   max_keys_per_tag             deprecated and ignored (it refused zones with more keys
//                                sharing a tag); accepted for old files, with a warning
//   max_fetches = 48             DS/DNSKEY sub-queries per query, 1-1000
//   max_cname_chain = 12         CNAME/DNAME links followed, 1-64
//   max_chain_depth = 24         zones between the trust anchor and the answer, 1-128
//   max_nsec3_iterations = 150   NSEC3 zones with more iterations are insecure (RFC 9276
//                                §3.2), 0-2500
//   max_nsec3_hashes = 200       NSEC3 hash computations per denial proof, 1-10000
//
//   [cache]
//   max_size = 67108864   bytes for validated answers and keys together, >= 1 MiB
//   bogus_ttl = 60        seconds a bogus verdict is replayed (RFC 9520), 0-3600
//   max_ttl = 86400       seconds any answer is kept at most, 1-604800
//   serve_stale = false   RFC 8767: when every upstream fails (or the query deadline
//                         passes), answer from an expired entry with TTL 30 and EDE 3 (19 for
//                         NXDOMAIN). Never for bogus verdicts or CD queries.
//   max_stale = 86400     how long past its expiry an answer may be served stale, 1-604800
//                         seconds (RFC 8767 §5 suggests 1 to 3 days)
//   prefetch = true       an answer asked again in the last tenth of its TTL is refreshed
//                         from upstream in the background, so popular names never miss
//
//   [local]
//   records = ["printer.home.arpa. 300 A 192.168.1.20"]
//       Names the proxy answers itself, never forwarded, each entry one record in zone-file
//       syntax (RFC 1035 §5.1; an absolute owner name; A, AAAA, CNAME, PTR, NS, MX, TXT or SRV;
//       the TTL optional: `ttl` when left out). Answers carry AA and never AD; any other type
//       of a local name is NODATA; a CNAME is followed only through local data; names below
//       a local name are not local unless listed. Default: none.
//   hosts_file = "/etc/hosts"
//       Also answer the names of this hosts(5) file (A or AAAA, TTL `ttl`) and PTR for its
//       addresses (to the first name of each line; not for 0.0.0.0 and ::). Re-read when it
//       changes (checked every second), without SIGHUP. Lines that cannot be used are
//       skipped with a warning; a missing file is a warning too (no names until it appears).
//       A name [local] records defines stays theirs. Default: none.
//   ttl = 0
//       The TTL of hosts-file answers and of records written without one, 0-86400 seconds.
//       Default 0 (as dnsmasq: clients do not keep them, so a change shows at once).
//   [control]
//   socket = "/run/dnssec-proxy/control.sock"
//       The Unix socket `dnssec-proxy control` talks to (flush, nta, reload, stats...):
//       created at start-up before privileges are dropped, owned by [server] user and group,
//       mode 0660 (only root and that group may use it). "" turns it off. Default:
//       kDefaultControlSocket; when that default's directory does not exist (systemd's
//       RuntimeDirectory= makes it), the proxy runs without a control socket and says so.
//       Needs a restart to change.
//
//   [metrics]
//   listen = "127.0.0.1:9153"
//       Serve statistics in the Prometheus text format at http://ADDR:PORT/metrics (plain
//       HTTP, GET only, from the proxy's own event loop). An IP address and a port, same
//       syntax as [server] listen but the port is required. Default: off. The same counters
//       are written to the log on SIGUSR1 whether or not this is set. The same listener
//       answers /health and /ready (200 "ok" or 503 and the reason), the dashboard at / and
//       /explain.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dnsp::config {

// The file read when no --config is given; a missing file there means built-in defaults.
inline constexpr std::string_view kDefaultConfigPath = "/etc/dnssec-proxy/dnssec-proxy.toml";
inline constexpr std::string_view kDefaultControlSocket = "/run/dnssec-proxy/control.sock";
// Config::source when no file was read.
inline constexpr std::string_view kBuiltInDefaults = "built-in defaults";
inline constexpr uint16_t kDnsPort = 53;
inline constexpr uint32_t kDefaultUdpReceiveBuffer = 4 << 20;  // [server] udp_receive_buffer

// An IP address literal and a port. `address` is IPv4 or IPv6 without brackets or scope,
// as inet_pton accepts it; parse_endpoint stores the inet_ntop form ("::0001" -> "::1"), so
// endpoints it made compare equal exactly when they name the same address and port.
struct Endpoint {
  std::string address;
  uint16_t port;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

enum class LogLevel : uint8_t { Error, Warn, Info, Debug };

// [dnssec] clock: what an unverified wall clock changes (proxy/clock_watch.h).
enum class ClockMode : uint8_t {
  Strict,       // every RRSIG validity window is checked, whatever the clock (the default)
  UntilSynced,  // windows are not checked until the clock is first verified; AD clear meanwhile
};

// [upstream] strategy: which server a query is sent to first (proxy/upstream/selection.h).
enum class UpstreamStrategy : uint8_t {
  Order,       // the configured order (the default): the first healthy server
  Fastest,     // the lowest smoothed RTT, randomly among those within 400 ms of it
  RoundRobin,  // each query starts at the next healthy server
};

inline constexpr uint16_t kDotPort = 853;  // RFC 7858 §3.1
inline constexpr uint16_t kDohPort = 443;  // RFC 8484 §8.1: https

// How the proxy talks to one upstream server.
enum class UpstreamProtocol : uint8_t {
  Plain,  // DNS over UDP, TCP when truncated (c-ares)
  Tls,    // DNS-over-TLS, RFC 7858, strict privacy profile of RFC 8310
  Https,  // DNS-over-HTTPS, RFC 8484 over HTTP/2, authenticated as Tls
};

// RFC 7858 §4.2: base64(SHA-256(SubjectPublicKeyInfo DER)), decoded.
using SpkiPin = std::array<uint8_t, 32>;

// One upstream resolver as [upstream] servers, [[upstream.server]] or --upstream name it.
struct UpstreamServer {
  UpstreamProtocol protocol = UpstreamProtocol::Plain;
  Endpoint endpoint;
  std::string auth_name;           // Tls, Https: lower case, no final dot; "" = pins only
  std::vector<SpkiPin> spki_pins;  // Tls, Https: any one must match
  std::string http_path;           // Https: the URL's path ("/dns-query")
  // Https: the URL's host name when it named one ("" when it held the address); until its
  // bootstrap addresses are filled in (expand_bootstrap), endpoint.address is "".
  std::string url_host;
  friend bool operator==(const UpstreamServer&, const UpstreamServer&) = default;
};

// [limits]: bounds on the validation work of one client query. The proxy copies them into
// resolver::Limits (config/ does not depend on resolver/); the defaults are the same.
struct ValidationLimits {
  uint32_t max_signature_checks = 64;
  uint32_t max_failed_checks_per_rrset = 16;
  uint32_t max_fetches = 48;
  uint32_t max_cname_chain = 12;
  uint32_t max_chain_depth = 24;
  uint32_t max_nsec3_iterations = 150;
  uint32_t max_nsec3_hashes = 200;
  friend bool operator==(const ValidationLimits&, const ValidationLimits&) = default;
};

// [cache]: the answer cache, the validator's key cache and the aggressive NSEC cache share
// max_size.
struct CacheSettings {
  uint32_t max_size = 64u << 20;  // bytes
  uint32_t bogus_ttl = 60;        // seconds a bogus verdict is remembered (0: never)
  uint32_t max_ttl = 86400;       // seconds any answer is kept at most
  bool serve_stale = false;       // RFC 8767: expired answers when every upstream fails
  uint32_t max_stale = 86400;     // seconds past expiry an answer may still be served stale
  bool prefetch = true;           // refresh popular answers in the last tenth of their TTL
  bool aggressive_nsec = true;    // RFC 8198: answer from validated NSEC/NSEC3 records held
  friend bool operator==(const CacheSettings&, const CacheSettings&) = default;
};

// [dnstap]: dnstap messages (dnstap.info) over Frame Streams to a collector, on a Unix
// socket or TCP (exactly one of the two when the table is present). Off when neither is set.
struct DnstapSettings {
  std::string socket;               // [dnstap] socket: a Unix socket path; "" = not set
  std::optional<Endpoint> tcp;      // [dnstap] tcp: "127.0.0.1:6000"
  std::string identity;             // "" = the host name (proxy/dnstap/README.md)
  std::string version;              // "" = "dnssec-proxy VERSION"
  bool client_queries = true;       // CLIENT_QUERY
  bool client_responses = true;     // CLIENT_RESPONSE
  bool forwarder_queries = true;    // FORWARDER_QUERY
  bool forwarder_responses = true;  // FORWARDER_RESPONSE
  bool enabled() const { return !socket.empty() || tcp.has_value(); }
  friend bool operator==(const DnstapSettings&, const DnstapSettings&) = default;
};

// [[forward]]: a zone answered by servers of its own (split DNS).
enum class ForwardDnssec : uint8_t { Validate, Insecure };
// One RFC 7646 negative trust anchor of [dnssec] negative_trust_anchors.
struct NegativeTrustAnchor {
  std::string zone;              // normalised: lower case, final "."
  std::optional<int64_t> until;  // expiry, unix seconds UTC; nullopt: none
  friend bool operator==(const NegativeTrustAnchor&, const NegativeTrustAnchor&) = default;
};

struct ForwardZone {
  std::string zone;  // normalised: lower case, final "."
  std::vector<UpstreamServer> servers;
  ForwardDnssec dnssec = ForwardDnssec::Validate;
  friend bool operator==(const ForwardZone&, const ForwardZone&) = default;
};

// [local]: names the proxy answers itself. Each record as written, and where:
// "FILE:LINE: local.records[N]" (its errors are found when the proxy parses it, resolver/local/).
struct LocalRecordEntry {
  std::string text;
  std::string where;
  friend bool operator==(const LocalRecordEntry&, const LocalRecordEntry&) = default;
};
struct LocalSettings {
  std::vector<LocalRecordEntry> records;
  std::string hosts_file;  // "" = none
  uint32_t ttl = 0;        // hosts-file records and records written without a TTL
  bool empty() const { return records.empty() && hosts_file.empty(); }
  friend bool operator==(const LocalSettings&, const LocalSettings&) = default;
};

// [dnssec] private_zones by default (with the built-in root anchors): systemd-resolved's
// built-in negative trust anchors (dnssec-trust-anchors.d(5)), plus the RFC 6598 shared
// address space and the IPv4 and IPv6 link-local reverse zones.
extern const std::vector<std::string> kDefaultPrivateZones;

// [upstream.bootstrap]: DNS-over-HTTPS host name (lower case, no final dot) -> its
// addresses (IP literals as parse_endpoint stores them).
using Bootstrap = std::map<std::string, std::vector<std::string>, std::less<>>;

struct Config {
  std::vector<Endpoint> listen = {{"127.0.0.1", kDnsPort}, {"::1", kDnsPort}};
  std::vector<UpstreamServer> upstreams;  // empty after loading => proxy uses resolv.conf's
  Bootstrap bootstrap;                    // [upstream.bootstrap]
  std::string tls_ca_file;                // "" = the system store (OpenSSL default paths)
  uint32_t upstream_timeout_ms = 1500;    // per attempt
  uint32_t upstream_attempts = 2;         // tries per server
  uint32_t query_timeout_ms = 5000;       // a client gets SERVFAIL at the latest after this
  UpstreamStrategy upstream_strategy = UpstreamStrategy::Order;  // [upstream] strategy
  bool upstream_hedge = true;                                    // [upstream] hedge
  uint32_t tcp_idle_timeout_ms = 10000;
  uint32_t tcp_max_connections = 256;
  uint32_t tcp_max_queries_per_connection = 100;
  uint32_t max_queries_in_flight = 10000;
  uint32_t threads = 0;         // [server] threads: event loops; 0 = one per CPU available
  uint32_t shutdown_grace = 0;  // [server] shutdown_grace: seconds still answering after SIGTERM
  bool reuse_port = false;      // [server] reuse_port: share ports with a new process (handover)
  // [server] udp_receive_buffer: octets, 0 = the system's default; unset: the default below,
  // best effort (set: a smaller grant is logged).
  std::optional<uint32_t> udp_receive_buffer;
  std::string user;                // [server] user: "" = do not change user
  std::string group;               // [server] group: "" = the user's primary group
  std::string trust_anchor_file;   // "" = built-in root anchors
  std::string trust_anchor_state;  // "" = no RFC 5011 updates
  std::vector<NegativeTrustAnchor> negative_trust_anchors;  // [dnssec], in file order
  // [dnssec] private_zones as written (normalised); nullopt: the default (private_zones()).
  std::optional<std::vector<std::string>> private_zones;
  std::vector<ForwardZone> forwards;    // [[forward]], in file order
  bool root_key_sentinel = true;        // RFC 8509
  ClockMode clock = ClockMode::Strict;  // [dnssec] clock
  std::string time_file;                // [dnssec] time_file: "" = none
  LogLevel log_level = LogLevel::Info;
  bool log_queries = false;               // [log] queries: one line per answered query
  uint32_t log_queries_per_second = 100;  // [log] queries_per_second: past it, lines are counted
  ValidationLimits limits;
  CacheSettings cache;
  LocalSettings local;                     // [local]
  std::optional<Endpoint> metrics_listen;  // [metrics] listen; nullopt = no HTTP listener
  DnstapSettings dnstap;                   // [dnstap]; off unless socket or tcp is set
  // [control] socket: the Unix socket of `dnssec-proxy control`; "" = none.
  std::string control_socket{kDefaultControlSocket};
  bool control_socket_configured = false;  // set in the file (not the default): must work
  std::string source{kBuiltInDefaults};    // where it came from: a file path, or kBuiltInDefaults
};

// The private zones in force: [dnssec] private_zones when set; else kDefaultPrivateZones
// with the built-in root anchors and none with a trust_anchor_file.
std::vector<std::string> private_zones(const Config& config);

// Parses "1.2.3.4", "1.2.3.4:53", "::1" (bare IPv6, no port), "[::1]" or "[::1]:5353";
// `default_port` fills in a missing port. nullopt for anything else: host names, an IPv4
// address in brackets, a scope ("%eth0"), a port that is empty, 0, above 65535 or not
// decimal digits, surrounding spaces.
std::optional<Endpoint> parse_endpoint(std::string_view text, uint16_t default_port);

// "127.0.0.1:53" or "[::1]:53": the form parse_endpoint reads back.
std::string to_string(const Endpoint& endpoint);

// "127.0.0.1:53" for plain servers, "tls://127.0.0.1:853#dns.test" for TLS,
// "https://127.0.0.1:443/dns-query#dns.test" or "https://dns.test/dns-query (127.0.0.1:443)"
// for DNS-over-HTTPS (pins are not shown): how logs, EDE texts and explain name an upstream.
std::string to_string(const UpstreamServer& server);

// A plain server at `endpoint` (resolv.conf's nameservers).
inline UpstreamServer plain_upstream(Endpoint endpoint) {
  return {UpstreamProtocol::Plain, std::move(endpoint), {}, {}, {}, {}};
}

// Parses one upstream as [upstream] servers and --upstream write it: "ADDR[:PORT]",
// "tls://ADDR[:PORT]#NAME", "https://ADDR[:PORT]/PATH#NAME" or "https://HOST[:PORT]/PATH"
// (url_host set, endpoint.address "" until expand_bootstrap). On error, `error` says what is wrong
// in words that fit after "expected ...": nothing names the file or the key here.
struct UpstreamParse {
  std::optional<UpstreamServer> server;
  std::string error;
};
// UrlName::Optional: an https:// URL with an address may come without "#NAME" (the table
// form, where auth_name or spki_pins may authenticate the server instead).
enum class UrlName : uint8_t { Required, Optional };
UpstreamParse parse_upstream(std::string_view text, UrlName name_rule = UrlName::Required);

// Replaces each server named by a host name (url_host set, no address yet) with one server
// per address `bootstrap` has for that host, in place. "" or, for the first host without
// addresses, what is missing in words that fit after "expected ...".
std::string expand_bootstrap(std::vector<UpstreamServer>& servers, const Bootstrap& bootstrap);

// An authentication name for a TLS upstream: a host name (letters, digits, '-', '_', dots;
// an optional final dot). Lower case, no final dot; nullopt for anything else.
std::optional<std::string> normalize_auth_name(std::string_view text);

// A pin as RFC 7858 §4.2 writes it: 44 characters of base64 for 32 octets. nullopt otherwise.
std::optional<SpkiPin> parse_spki_pin(std::string_view base64);

// The inet_ntop form of an IPv4 or IPv6 literal ("::0001" -> "::1"); nullopt if inet_pton
// rejects it.
std::optional<std::string> normalize_address(std::string_view address);

// A domain name as a negative trust anchor takes it: labels of letters, digits, '-' and '_',
// 1-63 octets each, at most 253 octets in all, an optional final dot. Returns it lower case
// with a final dot ("Example.COM" -> "example.com."); nullopt for anything else, the root
// included.
std::optional<std::string> normalize_domain_name(std::string_view text);

// "2027-01-01T00:00:00Z" (RFC 3339 in UTC, seconds, 'Z') -> unix seconds; nullopt for
// anything else (other offsets, fractions, impossible dates).
std::optional<int64_t> parse_utc_time(std::string_view text);

// "strict", "until-synced" (exactly, lower case); nullopt for anything else.
std::optional<ClockMode> parse_clock_mode(std::string_view text);
std::string_view to_string(ClockMode mode);

// "order", "fastest", "round-robin" (exactly, lower case); nullopt for anything else.
std::optional<UpstreamStrategy> parse_upstream_strategy(std::string_view text);
std::string_view to_string(UpstreamStrategy strategy);

// "error", "warn", "info", "debug" (exactly, lower case); nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view text);
std::string_view to_string(LogLevel level);

}  // namespace dnsp::config
