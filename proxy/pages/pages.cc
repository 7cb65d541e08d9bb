#include "proxy/pages/pages.h"

#include <string_view>

#include "resolver/explain/markup.h"
#include "resolver/wire/message.h"

namespace dnsp::proxy {

const char* const kPageSecurityHeaders =
    "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'self'\r\nReferrer-Policy: no-referrer\r\n";

namespace {

// A small page for a request that has no report: what went wrong and a way back.
HttpResponse message_page(std::string status, const std::string& title, const std::string& text) {
  std::string body = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>" +
                     resolver::xml_escape(title) + "</title></head>\n<body>\n<h1>" +
                     resolver::xml_escape(title) + "</h1>\n<p id=\"message\">" +
                     resolver::xml_escape(text) +
                     "</p>\n<p><a href=\"/\">dashboard</a></p>\n</body>\n</html>\n";
  return {std::move(status), "text/html; charset=utf-8", std::move(body), kPageSecurityHeaders};
}

struct FormatChoice {
  resolver::ExplainFormat format;
  const char* content_type;
};

std::optional<FormatChoice> page_format(std::string_view name) {
  using F = resolver::ExplainFormat;
  if (name.empty() || name == "html") return FormatChoice{F::Html, "text/html; charset=utf-8"};
  if (name == "svg") return FormatChoice{F::Svg, "image/svg+xml; charset=utf-8"};
  if (name == "dot") return FormatChoice{F::Dot, "text/vnd.graphviz; charset=utf-8"};
  if (name == "json") return FormatChoice{F::Json, "application/json; charset=utf-8"};
  if (name == "text") return FormatChoice{F::Text, "text/plain; charset=utf-8"};
  return std::nullopt;
}

}  // namespace

void Pages::handle(const HttpRequest& request, const HttpPeer& peer, HttpReply reply) {
  if (request.path == "/") {
    return reply({"200 OK", "text/html; charset=utf-8", render_dashboard(wiring_.dashboard()),
                  kPageSecurityHeaders});
  }
  if (request.path == "/explain") return explain(request, peer, std::move(reply));
  if (request.path == "/health" || request.path == "/ready") {
    // Probes (kubelet, Docker, load balancers): 200 "ok", or 503 and why in one line.
    const auto& check = request.path == "/health" ? wiring_.health : wiring_.ready;
    const std::string reason = check ? check() : "";
    return reply({reason.empty() ? "200 OK" : "503 Service Unavailable",
                  "text/plain; charset=utf-8", (reason.empty() ? "ok" : reason) + "\n", ""});
  }
  reply(message_page("404 Not Found", "Not found",
                     "dnssec-proxy serves /, /explain?name=NAME&type=TYPE, /health, /ready and "
                     "/metrics."));
}

void Pages::explain(const HttpRequest& request, const HttpPeer& peer, HttpReply reply) {
  const auto name_text = query_param(request.query, "name");
  const auto type_text = query_param(request.query, "type").value_or("A");
  const auto format = page_format(query_param(request.query, "format").value_or(""));
  std::optional<resolver::Name> name;
  if (name_text && !name_text->empty()) {
    if (auto n = resolver::Name::from_text(*name_text)) name = *n;
  }
  const auto type = resolver::parse_rr_type(type_text);
  if (!name || !type || !format || *type == resolver::RRType::OPT ||
      *type == resolver::RRType::AXFR || *type == resolver::RRType::IXFR) {
    return reply(message_page(
        "400 Bad Request", "Bad request",
        "Expected /explain?name=NAME&type=TYPE (type defaults to A; format html, svg, dot, "
        "json or text, default html), got name \"" +
            name_text.value_or("") + "\" type \"" + type_text + "\"."));
  }
  const resolver::Question question{*name, *type, resolver::RRClass::IN};
  const ClientAddresses addresses{peer.peer, peer.local};
  const char* content_type = format->content_type;
  wiring_.explain(
      question, format->format, resolver::PageLinks::Dashboard, addresses,
      [reply, content_type](TraceResult r) {
        switch (r.refusal) {
          case TraceRefusal::None:
            return reply({"200 OK", content_type, std::move(r.rendered), kPageSecurityHeaders});
          case TraceRefusal::NotThisHost:
            return reply(message_page("403 Forbidden", "Not from this host", r.message));
          case TraceRefusal::Busy: {
            HttpResponse busy = message_page("429 Too Many Requests", "Too many traces", r.message);
            busy.extra_headers += "Retry-After: 5\r\n";
            return reply(std::move(busy));
          }
          case TraceRefusal::Failed:
            return reply(message_page("503 Service Unavailable", "No trace", r.message));
        }
      });
}

}  // namespace dnsp::proxy
