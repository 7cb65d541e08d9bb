// The chain of trust as a self-contained SVG (render.h): the layout of picture.h drawn as
// is, no script, no external reference. Zones first, then edges under the nodes, then the
// edge labels on top; every text from DNS data goes through xml_escape().
#include <cstdio>
#include <string_view>

#include "resolver/explain/markup.h"
#include "resolver/explain/picture.h"
#include "resolver/explain/render.h"

namespace dnsp::resolver {
namespace {

std::string_view tone_id(Tone t) {
  switch (t) {
    case Tone::Good:
      return "good";
    case Tone::Bad:
      return "bad";
    case Tone::Warn:
      return "warn";
    case Tone::Neutral:
      return "neutral";
  }
  return "neutral";
}

std::string_view shape_id(NodeShape s) {
  switch (s) {
    case NodeShape::Anchor:
      return "anchor";
    case NodeShape::Ds:
      return "ds";
    case NodeShape::Ksk:
      return "ksk";
    case NodeShape::Zsk:
      return "zsk";
    case NodeShape::Key:
      return "key";
    case NodeShape::Missing:
      return "missing";
    case NodeShape::Rrset:
      return "rrset";
    case NodeShape::Proof:
      return "proof";
    case NodeShape::Note:
      return "note";
  }
  return "note";
}

std::string_view kind_id(EdgeKind k) {
  switch (k) {
    case EdgeKind::Anchors:
      return "anchors";
    case EdgeKind::DsMatch:
      return "ds-match";
    case EdgeKind::Rrsig:
      return "rrsig";
  }
  return "rrsig";
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string box_attrs(const Box& b) {
  return "x=\"" + num(b.x) + "\" y=\"" + num(b.y) + "\" width=\"" + num(b.w) + "\" height=\"" +
         num(b.h) + "\"";
}

constexpr std::string_view kStyle = R"(
.good{stroke:#1a7f37;fill:#dafbe1}.bad{stroke:#cf222e;fill:#ffebe9}
.warn{stroke:#9a6700;fill:#fff8c5}.neutral{stroke:#57606a;fill:#f6f8fa}
g.zone>rect{fill:#fff;stroke-width:1.5}g.zone.bad>rect{stroke-width:3}
.dashed{stroke-dasharray:6 4}
g.node>.shape{stroke-width:1.5}g.node.bad>.shape{stroke-width:3}
g.node.ksk>.shape{stroke-width:2.5}
g.edge line{fill:none;stroke-width:1.5}g.edge.bad line{stroke-width:3}
text{stroke:none;font-size:12px;white-space:pre}
text.t-good{fill:#116329}text.t-bad{fill:#a40e26}text.t-warn{fill:#7d4e00}
text.t-neutral{fill:#24292f}text.title,text.bold{font-weight:bold}
text.small{font-size:11px}g.zone text,g.answer text{paint-order:stroke;stroke:#fff;stroke-width:4px}
rect.label-bg{fill:#fff;fill-opacity:.92;stroke:none}
)";

std::string text_svg(const PictureText& t) {
  const char* style = t.style == TextStyle::Title   ? "title"
                      : t.style == TextStyle::Bold  ? "bold"
                      : t.style == TextStyle::Small ? "small"
                                                    : "plain";
  return "<text x=\"" + num(t.box.x) + "\" y=\"" + num(t.box.y + 11.5) + "\" class=\"" + style +
         " t-" + std::string(tone_id(t.tone)) + "\">" + xml_escape(t.text) + "</text>";
}

std::string shape_svg(NodeShape shape, Tone tone, bool dashed, const Box& b) {
  const std::string cls =
      "shape " + std::string(tone_id(tone)) + (dashed ? " dashed" : std::string());
  switch (shape) {
    case NodeShape::Ds: {
      const double c = 6;
      std::string pts;
      const double xs[] = {b.x + c,       b.right() - c, b.right(), b.right(),
                           b.right() - c, b.x + c,       b.x,       b.x};
      const double ys[] = {b.y,        b.y,        b.y + c,        b.bottom() - c,
                           b.bottom(), b.bottom(), b.bottom() - c, b.y + c};
      for (int k = 0; k < 8; ++k) pts += (k ? " " : "") + num(xs[k]) + "," + num(ys[k]);
      return "<polygon class=\"" + cls + "\" points=\"" + pts + "\"/>";
    }
    case NodeShape::Anchor: {
      const Box in{b.x + 3, b.y + 3, b.w - 6, b.h - 6};
      return "<rect class=\"" + cls + "\" " + box_attrs(b) + "/><rect class=\"" + cls +
             "\" style=\"fill:none\" " + box_attrs(in) + "/>";
    }
    case NodeShape::Ksk:
      return "<rect class=\"" + cls + "\" rx=\"14\" " + box_attrs(b) + "/>";
    case NodeShape::Zsk:
    case NodeShape::Key:
    case NodeShape::Missing:
      return "<rect class=\"" + cls + "\" rx=\"4\" " + box_attrs(b) + "/>";
    case NodeShape::Proof:
      return "<rect class=\"" + cls + "\" " + box_attrs(b) + "/><path class=\"" + cls + "\" d=\"M" +
             num(b.right() - 10) + "," + num(b.y) + " l10,10 h-10 z\"/>";
    case NodeShape::Rrset:
      return "<rect class=\"" + cls + "\" " + box_attrs(b) + "/>";
    case NodeShape::Note:
      return "<rect class=\"shape neutral dashed\" style=\"fill:#fff\" " + box_attrs(b) + "/>";
  }
  return "";
}

void zones_svg(std::string& out, const Picture& p) {
  for (size_t i = 0; i < p.zones.size(); ++i) {
    const PictureZone& z = p.zones[i];
    out += "<g class=\"zone " + std::string(tone_id(z.tone)) + "\" id=\"" + z.id +
           "\" data-order=\"" + std::to_string(i) + "\" data-zone=\"" + xml_escape(z.name) +
           "\" data-security=\"" + std::string(to_string(z.security)) + "\">";
    out += "<rect class=\"" + std::string(tone_id(z.tone)) + (z.dashed ? " dashed" : "") +
           "\" rx=\"8\" " + box_attrs(z.box) + "/>";
    for (const auto& t : z.texts) out += text_svg(t);
    out += "</g>\n";
  }
  if (p.answer_box.h > 0) {
    out += "<g class=\"answer\"><rect rx=\"8\" style=\"fill:#fff;stroke:#57606a\" " +
           box_attrs(p.answer_box) + "/>";
    for (const auto& t : p.answer_texts) out += text_svg(t);
    out += "</g>\n";
  }
}

void edges_svg(std::string& out, const Picture& p) {
  for (const auto& e : p.edges) {
    const std::string tone(tone_id(e.tone));
    out += "<g class=\"edge " + std::string(kind_id(e.kind)) + " " + tone +
           (e.tone == Tone::Bad ? " failing" : "") + "\" id=\"" + e.id + "\" data-from=\"" +
           e.from + "\" data-to=\"" + e.to + "\"" +
           (e.label.empty() ? std::string() : " data-label=\"" + xml_escape(e.label) + "\"") +
           "><line class=\"" + tone + (e.dashed ? " dashed" : "") + "\" x1=\"" + num(e.x1) +
           "\" y1=\"" + num(e.y1) + "\" x2=\"" + num(e.x2) + "\" y2=\"" + num(e.y2) +
           "\" marker-end=\"url(#arrow-" + tone + ")\"/></g>\n";
  }
}

void nodes_svg(std::string& out, const Picture& p) {
  for (const auto& n : p.nodes) {
    out += "<g class=\"node " + std::string(shape_id(n.shape)) + " " +
           std::string(tone_id(n.tone)) + (n.tone == Tone::Bad ? " failing" : "") + "\" id=\"" +
           n.id + "\">" + shape_svg(n.shape, n.tone, n.dashed, n.box);
    for (const auto& t : n.texts) out += text_svg(t);
    out += "</g>\n";
  }
}

void labels_svg(std::string& out, const Picture& p) {
  out += "<g class=\"labels\">\n";
  for (const auto& e : p.edges) {
    if (e.label.empty()) continue;
    const Box& b = e.label_text.box;
    out += "<g class=\"edge-label " + std::string(tone_id(e.tone)) + "\" data-edge=\"" + e.id +
           "\"><rect class=\"label-bg\" " + box_attrs({b.x - 2, b.y, b.w + 4, b.h}) + "/>" +
           text_svg(e.label_text) + "</g>\n";
  }
  out += "</g>\n";
}

void legend_svg(std::string& out, const Picture& p) {
  out += "<g class=\"legend\"><rect rx=\"6\" style=\"fill:#fff;stroke:#d0d7de\" " +
         box_attrs(p.legend_box) + "/>";
  for (const auto& l : p.legend) {
    if (l.edge) {
      const std::string tone(tone_id(l.tone));
      const double y = l.swatch.y + l.swatch.h / 2;
      out += "<line class=\"" + tone + (l.dashed ? " dashed" : "") +
             "\" style=\"stroke-width:" + (l.tone == Tone::Bad ? "3" : "1.5") + "\" x1=\"" +
             num(l.swatch.x) + "\" y1=\"" + num(y) + "\" x2=\"" + num(l.swatch.right() - 4) +
             "\" y2=\"" + num(y) + "\" marker-end=\"url(#arrow-" + tone + ")\"/>";
    } else {
      out += shape_svg(l.shape, l.tone, l.dashed, l.swatch);
    }
    out += text_svg(l.text);
  }
  out += "</g>\n";
}

}  // namespace

std::string render_svg(const Report& report) {
  const Picture p = draw_chain(report);
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chain\" width=\"" +
                    num(p.width) + "\" height=\"" + num(p.height) + "\" viewBox=\"0 0 " +
                    num(p.width) + " " + num(p.height) +
                    "\" font-family=\"DejaVu Sans Mono, Liberation Mono, monospace\" "
                    "role=\"img\" aria-labelledby=\"chain-title\" data-verdict=\"" +
                    std::string(to_string(p.verdict)) + "\">\n";
  out += "<title id=\"chain-title\">chain of trust: " + xml_escape(p.title) + "</title>\n";
  out += "<style>" + std::string(kStyle) + "</style>\n<defs>";
  for (Tone t : {Tone::Good, Tone::Bad, Tone::Warn, Tone::Neutral}) {
    const std::string tone(tone_id(t));
    out += "<marker id=\"arrow-" + tone +
           "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" "
           "markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path class=\"" +
           tone + "\" d=\"M0,0 L10,5 L0,10 z\"/></marker>";
  }
  out += "</defs>\n<rect width=\"100%\" height=\"100%\" style=\"fill:#fff\"/>\n";
  out += text_svg(p.title_text) + "\n";
  zones_svg(out, p);
  edges_svg(out, p);
  nodes_svg(out, p);
  labels_svg(out, p);
  legend_svg(out, p);
  out += "</svg>\n";
  return out;
}

}  // namespace dnsp::resolver
