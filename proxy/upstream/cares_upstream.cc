#include "proxy/upstream/cares_upstream.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>

#include "proxy/log.h"
#include "resolver/wire/message.h"

namespace dnsp::proxy {

CaresUpstream::CaresUpstream(uv_loop_t* loop, Handler handler, TransportCounters* counters)
    : loop_(loop), handler_(std::move(handler)), counters_(counters) {}

CaresUpstream::~CaresUpstream() { shutdown(); }

std::string CaresUpstream::init(const UpstreamSettings& settings, UpstreamTransport transport) {
  // ares_library_init is not thread-safe (c-ares 1.18): once per process, whichever event
  // loop gets here first.
  static std::once_flag once;
  static int init_rc = ARES_SUCCESS;
  std::call_once(once, [] { init_rc = ares_library_init(ARES_LIB_INIT_ALL); });
  if (init_rc != ARES_SUCCESS) {
    return std::string("c-ares initialisation failed: ") + ares_strerror(init_rc);
  }
  // SERVERS (none: ares_set_servers_ports_csv sets ours), DOMAINS (none) and LOOKUPS given:
  // a channel then reads no /etc/resolv.conf, hosts or hostname. Channels are made every
  // kQueriesPerChannel queries, so that reading was a dozen system calls each time.
  option_mask_ = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS |
                 ARES_OPT_SERVERS | ARES_OPT_DOMAINS | ARES_OPT_LOOKUPS | ARES_OPT_NDOTS |
                 ARES_OPT_SORTLIST | ARES_OPT_NOROTATE | ARES_OPT_EDNSPSZ;
  options_.ednspsz = kMaxUdpReply;
  options_.ndots = 1;
  options_.sortlist = nullptr;
  options_.nsort = 0;
  options_.servers = nullptr;
  options_.nservers = 0;
  options_.domains = nullptr;
  options_.ndomains = 0;
  options_.lookups = const_cast<char*>("b");  // c-ares copies it; "b": DNS, never files
  options_.sock_state_cb = &CaresUpstream::on_sock_state;
  options_.timeout = static_cast<int>(settings.timeout_ms);
  options_.tries = static_cast<int>(settings.attempts);
  // The channel never reads search domains or hosts files for us: ares_send only. Flags
  // per transport: open_channel().
  options_.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  transport_ = transport;
  servers_ = endpoints(settings.servers);
  servers_text_ = proxy::servers_text(settings.servers);
  if (counters_ != nullptr && counters_->board != nullptr) {
    board_ = &counters_->board->server(servers_text_, "plain");
  }
  live_.clear();
  live_.resize(servers_.size() * 2);
  open_ = true;
  if (auto err = open_channel(transport_, 0); !err.empty()) {
    open_ = false;
    return err;
  }
  return "";  // the timer opens with the first query
}

std::vector<config::Endpoint> CaresUpstream::endpoints(
    const std::vector<config::UpstreamServer>& servers) {
  std::vector<config::Endpoint> out;
  for (const auto& s : servers) out.push_back(s.endpoint);  // plain servers (make_upstream)
  return out;
}

std::string CaresUpstream::servers_csv(const std::vector<config::Endpoint>& servers, size_t start) {
  std::string csv;
  for (size_t i = 0; i < servers.size(); ++i) {
    if (!csv.empty()) csv += ',';
    csv += config::to_string(servers[(start + i) % servers.size()]);
  }
  return csv;
}

std::string CaresUpstream::reconfigure(const UpstreamSettings& settings) {
  if (!open_) return "the upstream is shut down";
  const ares_options old_options = options_;
  std::vector<config::Endpoint> old_servers = std::move(servers_);
  std::vector<std::unique_ptr<Channel>> old_live = std::move(live_);
  options_.timeout = static_cast<int>(settings.timeout_ms);
  options_.tries = static_cast<int>(settings.attempts);
  servers_ = endpoints(settings.servers);
  live_.clear();
  live_.resize(servers_.size() * 2);
  // Every live channel retires and drains (as on rotation); new queries use new ones.
  if (auto err = open_channel(transport_, 0); !err.empty()) {
    options_ = old_options;
    servers_ = std::move(old_servers);
    live_ = std::move(old_live);
    return err;
  }
  servers_text_ = proxy::servers_text(settings.servers);
  if (board_ != nullptr) board_ = &counters_->board->server(servers_text_, "plain");
  for (auto& ch : old_live) {
    if (ch) retired_.push_back(std::move(ch));
  }
  reap();
  return "";
}

std::string CaresUpstream::open_channel(UpstreamTransport transport, size_t start) {
  auto ch = std::make_unique<Channel>();
  ch->owner = this;
  ch->transport = transport;
  ch->start = start;
  ares_options opts = options_;
  opts.sock_state_cb_data = ch.get();  // each socket's events go to its own channel
  if (transport == UpstreamTransport::Udp) {
    // STAYOPEN: a UDP channel keeps its socket while idle (c-ares otherwise closes it
    // whenever no query is outstanding and opens a new one for the next: a dozen system
    // calls each time); channels rotate every kQueriesPerChannel queries anyway, which is
    // what changes the source port. IGNTC: a reply with TC comes back to on_answer, which
    // asks again over TCP (see upstream.h). EDNS with kMaxUdpReply: c-ares 1.18 takes a UDP
    // reply whole only up to its EDNS size (512 without the flag: longer ones are retried
    // over TCP, or with IGNTC cut to 512). Our queries carry their own OPT (1232), so the
    // flag changes nothing on the wire; c-ares reads at most 4096 octets of a datagram.
    // ARES_FLAG_EDNS also makes c-ares answer a FORMERR without OPT by asking again
    // without EDNS (upstream.h says what we do about it).
    opts.flags |= ARES_FLAG_STAYOPEN | ARES_FLAG_IGNTC | ARES_FLAG_EDNS;
  } else {
    // No STAYOPEN: the connection closes once the channel has nothing outstanding. EDNS:
    // the same FORMERR fallback as over UDP (the size limit does not apply to TCP).
    opts.flags |= ARES_FLAG_USEVC | ARES_FLAG_EDNS;
  }
  if (const int rc = ares_init_options(&ch->channel, &opts, option_mask_); rc != ARES_SUCCESS) {
    return std::string("c-ares channel setup failed: ") + ares_strerror(rc);
  }
  const std::string csv = servers_csv(servers_, start);
  if (const int rc = ares_set_servers_ports_csv(ch->channel, csv.c_str()); rc != ARES_SUCCESS) {
    ares_destroy(ch->channel);
    return "cannot use upstream servers '" + csv + "': " + ares_strerror(rc);
  }
  ++channels_created_;
  std::unique_ptr<Channel>& into = slot(transport, start);
  if (into) retired_.push_back(std::move(into));
  into = std::move(ch);
  return "";
}

namespace {
// What c-ares holds for one query until its callback: the channel and the caller's tag. It
// is freed by the callback, which c-ares calls exactly once (also on ares_destroy).
struct Ticket {
  void* channel;  // CaresUpstream::Channel
  uint64_t tag;
  uint16_t id;  // the query ID we chose
  uint64_t sent_ms;
  size_t edns_tried;           // servers that answered this query without OPT so far
  std::vector<uint8_t> query;  // kept to ask again (over TCP, or another server)
};

bool truncated(const unsigned char* packet, int len) {
  return packet != nullptr && len >= 4 && (packet[2] & 0x02) != 0;
}

// RFC 6891 §7: a server that knows EDNS answers a query with OPT with an OPT. None in a
// reply (or no parse) means the server does not do EDNS, or c-ares fell back without it.
bool has_opt(const unsigned char* packet, int len) {
  if (packet == nullptr || len < 12) return false;
  auto msg = resolver::Message::parse({packet, static_cast<size_t>(len)});
  return msg && msg->edns().has_value();
}

int rcode_of(const unsigned char* packet, int len) {
  return packet != nullptr && len >= 4 ? packet[3] & 0x0F : -1;
}
constexpr int kFormErr = 1;
}  // namespace

void CaresUpstream::send(std::span<const uint8_t> query, uint64_t tag,
                         UpstreamTransport transport) {
  if (open_ && !timer_open_) {
    // No libuv handle before the first query: an upstream that is built and dropped unused
    // (a list that failed to build further on) has nothing to close.
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    timer_open_ = true;
  }
  send_on(transport == UpstreamTransport::Tcp ? transport : transport_, 0,
          std::vector<uint8_t>(query.begin(), query.end()), tag, uv_now(loop_), 0);
}

void CaresUpstream::send_on(UpstreamTransport transport, size_t start, std::vector<uint8_t> packet,
                            uint64_t tag, uint64_t sent_ms, size_t edns_tried) {
  if (!open_ || start >= servers_.size()) {  // shut down
    handler_(UpstreamReply{tag, UpstreamStatus::Cancelled, {}, 0});
    return;
  }
  std::unique_ptr<Channel>& live = slot(transport, start);
  if (!live || live->sent >= kQueriesPerChannel) {
    // Open, or rotate: new sockets, so new random source ports. If rotating fails, keep
    // the old channel.
    if (auto err = open_channel(transport, start); !err.empty()) {
      if (!live) {
        LOG_WARN("cannot open an upstream channel: " << err);
        handler_(UpstreamReply{tag, UpstreamStatus::Unreachable, {}, uv_now(loop_) - sent_ms});
        return;
      }
      LOG_WARN("cannot rotate the upstream channel: " << err);
      live->sent = 0;
    }
  }
  Channel* ch = live.get();
  // c-ares 1.18 sends the ID it is given (only ares_query makes one up): draw it from the
  // system CSPRNG (RFC 5452 §9.2), distinct from the channel's other outstanding queries so
  // that each reply finds its own query.
  uint16_t id = 0;
  do {
    id = random_.u16();
  } while (!ch->ids.insert(id).second);
  if (packet.size() >= 2) {
    packet[0] = static_cast<uint8_t>(id >> 8);
    packet[1] = static_cast<uint8_t>(id);
  }
  ++ch->sent;
  ++ch->outstanding;
  ++in_ares_;
  if (board_ != nullptr) board_->add(board_->queries);
  // c-ares copies the query; the ticket keeps it in case it must be asked again.
  auto* ticket = new Ticket{ch, tag, id, sent_ms, edns_tried, std::move(packet)};
  ares_send(ch->channel, ticket->query.data(), static_cast<int>(ticket->query.size()),
            &CaresUpstream::on_answer, ticket);
  --in_ares_;
  reap();
  rearm_timer();
}

void CaresUpstream::on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf,
                              int alen) noexcept {
  const std::unique_ptr<Ticket> ticket(static_cast<Ticket*>(arg));
  auto* ch = static_cast<Channel*>(ticket->channel);
  CaresUpstream* self = ch->owner;
  --ch->outstanding;
  ch->ids.erase(ticket->id);
  if (status == ARES_SUCCESS && !has_opt(abuf, alen)) {
    // The server does not do EDNS, and c-ares has turned EDNS off for this channel: retire
    // it. While servers remain untried, ask the next one, with EDNS (upstream.h).
    ch->sent = kQueriesPerChannel;
    const size_t tried = ticket->edns_tried + 1;
    if (tried < self->servers_.size() && self->open_) {
      const size_t next = (ch->start + 1) % self->servers_.size();
      LOG_INFO("upstream " << config::to_string(self->servers_[ch->start])
                           << " answered without EDNS (it rejects EDNS queries?): asking "
                           << config::to_string(self->servers_[next]));
      self->send_on(self->transport_, next, std::move(ticket->query), ticket->tag, ticket->sent_ms,
                    tried);
      return;
    }
  }
  if (status == ARES_SUCCESS && ch->transport == UpstreamTransport::Udp && truncated(abuf, alen)) {
    // RFC 7766 §5: a truncated UDP reply is asked again over TCP. Same tag, a new ID.
    LOG_DEBUG("upstream reply truncated over UDP: asking again over TCP");
    self->send_on(UpstreamTransport::Tcp, ch->start, std::move(ticket->query), ticket->tag,
                  ticket->sent_ms, ticket->edns_tried);
    return;
  }
  UpstreamReply reply{
      ticket->tag, UpstreamStatus::BadReply, {}, uv_now(self->loop_) - ticket->sent_ms};
  switch (status) {
    case ARES_SUCCESS:
      reply.status = UpstreamStatus::Answered;
      if (abuf != nullptr && alen > 0) reply.packet.assign(abuf, abuf + alen);
      // Over TCP (truncated UDP replies are asked again there): TC means the upstream
      // cannot give the whole answer at all.
      if (truncated(abuf, alen)) {
        LOG_DEBUG("upstream reply truncated over TCP: unusable");
        reply.status = UpstreamStatus::BadReply;
        reply.packet.clear();
      } else if (rcode_of(abuf, alen) == kFormErr) {
        // Our queries are well formed; the client's was too. Not for the client to see.
        LOG_DEBUG("every upstream answered FORMERR");
        reply.status = UpstreamStatus::ServerFailed;
        reply.packet.clear();
      }
      break;
    case ARES_ETIMEOUT:
      reply.status = UpstreamStatus::Timeout;
      break;
    case ARES_ECONNREFUSED:
      reply.status = UpstreamStatus::Unreachable;
      break;
    case ARES_ESERVFAIL:
    case ARES_EREFUSED:
    case ARES_ENOTIMP:
      reply.status = UpstreamStatus::ServerFailed;
      break;
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED:
      reply.status = UpstreamStatus::Cancelled;
      break;
    default:
      LOG_DEBUG("upstream query failed: " << ares_strerror(status));
      reply.status = UpstreamStatus::BadReply;
      break;
  }
  if (self->board_ != nullptr) {
    if (reply.status == UpstreamStatus::Answered) {
      self->board_->answer(reply.elapsed_ms * 1000);
    } else {
      self->counters_->board->failed(*self->board_, reply.status, "");
    }
  }
  self->handler_(std::move(reply));
}

void CaresUpstream::reap() {
  // Never while c-ares is on the stack: a callback may end a channel's last query.
  if (in_ares_ > 0) return;
  for (auto it = retired_.begin(); it != retired_.end();) {
    if ((*it)->outstanding > 0) {
      ++it;
      continue;
    }
    ares_destroy((*it)->channel);  // closes its sockets (sock_state_cb closes the polls)
    it = retired_.erase(it);
  }
}

void CaresUpstream::close_poll(ares_socket_t fd) {
  auto it = polls_.find(fd);
  if (it == polls_.end()) return;
  Poll* p = it->second;
  polls_.erase(it);
  uv_poll_stop(&p->handle);
  // Freed only in the close callback (STYLE §5).
  uv_close(reinterpret_cast<uv_handle_t*>(&p->handle),
           [](uv_handle_t* h) { delete static_cast<Poll*>(h->data); });
}

void CaresUpstream::on_sock_state(void* data, ares_socket_t fd, int readable,
                                  int writable) noexcept {
  auto* ch = static_cast<Channel*>(data);
  CaresUpstream* self = ch->owner;
  if (readable == 0 && writable == 0) {
    self->close_poll(fd);
    return;
  }
  auto it = self->polls_.find(fd);
  Poll* p = nullptr;
  if (it == self->polls_.end()) {
    p = new Poll{};
    p->fd = fd;
    p->channel = ch;
    if (uv_poll_init_socket(self->loop_, &p->handle, fd) != 0) {
      LOG_ERROR("cannot watch upstream socket " << fd);
      delete p;
      return;
    }
    p->handle.data = p;
    self->polls_.emplace(fd, p);
  } else {
    p = it->second;
    p->channel = ch;
  }
  const int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  uv_poll_start(&p->handle, events, &CaresUpstream::on_poll);
}

void CaresUpstream::on_poll(uv_poll_t* handle, int status, int events) noexcept {
  auto* p = static_cast<Poll*>(handle->data);
  Channel* ch = p->channel;
  CaresUpstream* self = ch->owner;
  const ares_socket_t fd = p->fd;
  ++self->in_ares_;
  if (status < 0) {
    // Let c-ares see the failure on both directions (STYLE §5).
    ares_process_fd(ch->channel, fd, fd);
  } else {
    ares_process_fd(ch->channel, (events & UV_READABLE) ? fd : ARES_SOCKET_BAD,
                    (events & UV_WRITABLE) ? fd : ARES_SOCKET_BAD);
  }
  --self->in_ares_;
  self->reap();
  self->rearm_timer();
}

void CaresUpstream::on_timer(uv_timer_t* handle) noexcept {
  auto* self = static_cast<CaresUpstream*>(handle->data);
  ++self->in_ares_;
  // Copy: a callback may rotate channels while we walk them.
  std::vector<ares_channel> channels;
  for (const auto& l : self->live_) {
    if (l) channels.push_back(l->channel);
  }
  for (const auto& r : self->retired_) channels.push_back(r->channel);
  for (ares_channel c : channels) ares_process_fd(c, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  --self->in_ares_;
  self->reap();
  self->rearm_timer();
}

void CaresUpstream::rearm_timer() {
  if (!open_ || !timer_open_) return;
  std::optional<uint64_t> first;
  auto consider = [&first](ares_channel c) {
    timeval tv{};
    timeval* next = ares_timeout(c, nullptr, &tv);
    if (next == nullptr) return;
    const uint64_t ms = static_cast<uint64_t>(next->tv_sec) * 1000 +
                        static_cast<uint64_t>(next->tv_usec + 999) / 1000;
    if (!first || ms < *first) first = ms;
  };
  for (const auto& l : live_) {
    if (l) consider(l->channel);
  }
  for (const auto& r : retired_) consider(r->channel);
  if (!first) {
    uv_timer_stop(&timer_);
    return;
  }
  uv_timer_start(&timer_, &CaresUpstream::on_timer, *first, 0);
}

void CaresUpstream::shutdown(std::function<void()> closed) {
  // ares_destroy fails outstanding queries (Cancelled) and closes the channel's sockets.
  // Moved out first: a callback that sends meanwhile gets Cancelled at once.
  auto retired = std::move(retired_);
  retired_.clear();
  auto live = std::move(live_);
  live_.clear();
  open_ = false;
  for (auto& r : retired) ares_destroy(r->channel);
  for (auto& l : live) {
    if (l) ares_destroy(l->channel);
  }
  for (auto& [fd, p] : polls_) {
    uv_poll_stop(&p->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&p->handle),
             [](uv_handle_t* h) { delete static_cast<Poll*>(h->data); });
  }
  polls_.clear();
  // The polls free themselves; the timer is the one handle inside this object.
  if (timer_open_) {
    timer_open_ = false;
    closed_ = std::move(closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) {
      auto* self = static_cast<CaresUpstream*>(h->data);
      if (self->closed_) std::exchange(self->closed_, nullptr)();
    });
  } else if (closed) {
    closed();
  }
}

}  // namespace dnsp::proxy
