// The explain report as one self-contained HTML page (render.h): the verdict, the EDE the
// daemon would attach, the cause and next step, the picture (render_svg) and the text report.
// No script, no external resource (stylesheet inline); every text goes through xml_escape().
#include <string_view>

#include "resolver/explain/markup.h"
#include "resolver/explain/render.h"
#include "resolver/explain/vocabulary.h"

namespace dnsp::resolver {
namespace {

constexpr std::string_view kStyle = R"(
body{font-family:DejaVu Sans,Liberation Sans,sans-serif;margin:1.5em;color:#24292f;max-width:100em}
h1{font-size:1.3em}h1 code{font-size:1em}
.verdict{display:inline-block;padding:.2em .6em;border-radius:.3em;font-weight:bold}
.verdict.secure{background:#dafbe1;color:#116329}.verdict.bogus{background:#ffebe9;color:#a40e26}
.verdict.insecure{background:#fff8c5;color:#7d4e00}
.verdict.indeterminate{background:#f6f8fa;color:#57606a}
dl{display:grid;grid-template-columns:max-content auto;gap:.3em 1em}dt{font-weight:bold}dd{margin:0}
figure{margin:1em 0;overflow-x:auto}pre{background:#f6f8fa;padding:1em;overflow-x:auto}
nav a{margin-right:1em}
)";

std::string question_words(const Report& r) {
  return r.question.name.to_string() + " " + to_string(r.question.type);
}

}  // namespace

std::string render_html(const Report& r, PageLinks links) {
  const std::string security(to_string(r.verdict.security));
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + xml_escape(question_words(r)) + ": " + security +
         " - dnssec-proxy explain</title>\n";
  out += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  if (links == PageLinks::Dashboard) out += "<nav><a href=\"/\">dashboard</a></nav>\n";
  out += "<h1>Chain of trust for <code id=\"question\">" + xml_escape(question_words(r)) +
         "</code></h1>\n";
  out += "<p>Verdict: <span id=\"verdict\" class=\"verdict " + security + "\">" + security +
         "</span> <small>upstream " + xml_escape(r.upstreams) +
         (r.forward ? " for the " + xml_escape(forward_words(*r.forward)) : std::string()) + ", " +
         format_utc(r.now) + "</small></p>\n<dl>\n";
  if (r.ede) {
    out += "<dt>EDE</dt><dd id=\"ede\">" + std::to_string(static_cast<int>(r.ede->code)) + " (" +
           xml_escape(ede_name(r.ede->code)) + "): " + xml_escape(r.ede->text) + "</dd>\n";
  }
  if (!r.cause.empty()) out += "<dt>cause</dt><dd id=\"cause\">" + xml_escape(r.cause) + "</dd>\n";
  if (!r.probes.empty()) {
    out += "<dt>upstream probes</dt><dd id=\"upstream-probes\"><ul>\n";
    for (const auto& u : r.probes) {
      out += "<li><code>" + xml_escape(u.server) + "</code> <span class=\"probe " +
             xml_escape(u.state) + "\">" + xml_escape(u.state) + "</span>" +
             (u.evidence.empty() ? std::string() : ": " + xml_escape(u.evidence)) + "</li>\n";
    }
    out += "</ul></dd>\n";
  }
  if (!r.next_step.empty()) {
    out += "<dt>next step</dt><dd id=\"next-step\">" + xml_escape(r.next_step) + "</dd>\n";
  }
  out += "</dl>\n<figure id=\"picture\">\n" + render_svg(r) + "</figure>\n";
  out += "<h2>Report</h2>\n<pre id=\"report\">" + xml_escape_lines(render_text(r, Color::Off)) +
         "</pre>\n</body>\n</html>\n";
  return out;
}

}  // namespace dnsp::resolver
