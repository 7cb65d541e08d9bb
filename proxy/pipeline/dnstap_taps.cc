// [dnstap]: the pipeline's four taps. A client query as it arrives (query_arrives.cc), its
// reply as it leaves (answers_leave.cc send_to, cache hits included), and each upstream
// query and reply (upstream_replies.cc send_upstream and on_upstream, the one place every
// transport's traffic passes). Each becomes a dnstap message (proxy/dnstap/message.h) on
// this loop's queue to the collector (proxy/dnstap/writer.h); a full queue drops it.
#include <atomic>

#include "proxy/clock.h"
#include "proxy/log.h"
#include "proxy/pipeline/server.h"

namespace dnsp::proxy {

namespace {

constexpr uint64_t kDropLogIntervalMs = 60000;

// dnstap's socket_protocol of an upstream server (dnstap.proto SocketProtocol).
dnstap::SocketProtocol protocol_of(const config::UpstreamServer& server,
                                   UpstreamTransport transport) {
  switch (server.protocol) {
    case config::UpstreamProtocol::Tls:
      return dnstap::SocketProtocol::Dot;
    case config::UpstreamProtocol::Https:
      return dnstap::SocketProtocol::Doh;
    case config::UpstreamProtocol::Plain:
      break;
  }
  return transport == UpstreamTransport::Tcp ? dnstap::SocketProtocol::Tcp
                                             : dnstap::SocketProtocol::Udp;
}

}  // namespace

void Server::tap_client_ends(const ClientRef& client, dnstap::Event& event) const {
  if (const auto* udp = std::get_if<UdpClient>(&client)) {
    event.protocol = dnstap::SocketProtocol::Udp;
    event.query_peer = dnstap::peer_of(udp->address.get());
    event.response_peer = dnstap::peer_of(udp->listener->local().get());
    return;
  }
  event.protocol = dnstap::SocketProtocol::Tcp;
  const ClientAddresses ends = addresses_of(client);  // none once the connection closed
  if (ends.peer) event.query_peer = dnstap::peer_of(ends.peer->get());
  if (ends.local) event.response_peer = dnstap::peer_of(ends.local->get());
}

void Server::tap_client_query(std::span<const uint8_t> packet, const ClientRef& client) {
  dnstap::Event event;
  event.type = dnstap::MessageType::ClientQuery;
  tap_client_ends(client, event);
  event.query_time = dnstap::wall_clock_timestamp();
  event.query_message = packet;
  tap_submit(event);
}

void Server::tap_client_response(const ClientRef& client, std::span<const uint8_t> packet) {
  if (const auto* tcp = std::get_if<TcpClient>(&client); tcp != nullptr && tcp->connection == 0) {
    return;  // a prefetch: no client (finish() sends nothing for it anyway)
  }
  dnstap::Event event;
  event.type = dnstap::MessageType::ClientResponse;
  tap_client_ends(client, event);
  const dnstap::Timestamp now = dnstap::wall_clock_timestamp();
  event.response_time = now;
  // When the query arrived: the reply context's monotonic start, on the wall clock.
  const uint64_t now_us = uv_hrtime() / 1000;
  if (reply_context_.started_us != 0 && now_us >= reply_context_.started_us) {
    event.query_time = dnstap::before(now, now_us - reply_context_.started_us);
  }
  event.response_message = packet;
  tap_submit(event);
}

void Server::tap_forwarder_query(const resolver::Question& q, std::span<const uint8_t> packet,
                                 uint64_t tag, UpstreamTransport transport) {
  ForwarderSent sent{dnstap::wall_clock_timestamp(), std::nullopt, dnstap::SocketProtocol::Udp};
  // The first server of the list asked: c-ares and the failover runs pick among the servers
  // themselves and do not say which one took the query (proxy/dnstap/README.md).
  if (const auto& servers = servers_for(q); !servers.empty()) {
    sent.protocol = protocol_of(servers.front(), transport);
    if (const auto address = to_socket_address(servers.front().endpoint)) {
      sent.server = dnstap::peer_of(address->get());
    }
  }
  if (taps_ & kTapForwarderQuery) {
    dnstap::Event event;
    event.type = dnstap::MessageType::ForwarderQuery;
    event.protocol = sent.protocol;
    event.response_peer = sent.server;
    event.query_time = sent.time;
    event.query_message = packet;  // ID 0: the transport gives it a random ID when it sends
    tap_submit(event);
  }
  if (taps_ & kTapForwarderResponse) forwarder_sent_[tag] = sent;
}

void Server::tap_forwarder_response(const UpstreamReply& reply) {
  const auto it = forwarder_sent_.find(reply.tag);
  if (it == forwarder_sent_.end()) return;
  const ForwarderSent sent = it->second;
  forwarder_sent_.erase(it);
  if (reply.status != UpstreamStatus::Answered || reply.packet.empty()) return;
  dnstap::Event event;
  event.type = dnstap::MessageType::ForwarderResponse;
  event.protocol = sent.protocol;
  event.response_peer = sent.server;
  event.query_time = sent.time;
  event.response_time = dnstap::wall_clock_timestamp();
  event.response_message = reply.packet;
  tap_submit(event);
}

void Server::tap_submit(const dnstap::Event& event) {
  if (shared_.dnstap->submit(role_.index, dnstap::encode(shared_.dnstap_origin, event))) {
    ++stats_.dnstap_messages;
    return;
  }
  ++stats_.dnstap_dropped;
  ++dnstap_unreported_drops_;
  // One line a minute for every loop together: a stalled collector must not flood the log.
  const uint64_t now = monotonic_ms();
  uint64_t last = shared_.dnstap_drops_logged_ms.load(std::memory_order_relaxed);
  if (last != 0 && now - last < kDropLogIntervalMs) return;
  if (!shared_.dnstap_drops_logged_ms.compare_exchange_strong(last, now)) return;
  LOG_WARN("dnstap: dropped " << dnstap_unreported_drops_
                              << " messages: the queue to the collector at "
                              << shared_.dnstap->destination()
                              << " is full (is the collector running and reading?). Answers "
                                 "are not delayed; dnssec_proxy_dnstap_dropped_total counts "
                                 "every drop, and this is logged at most once a minute");
  dnstap_unreported_drops_ = 0;
}

}  // namespace dnsp::proxy
