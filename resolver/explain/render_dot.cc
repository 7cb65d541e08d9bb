// The chain of trust as Graphviz DOT (render.h): the graph of picture.h (zones as clusters,
// the same nodes and edges as the SVG), laid out by whoever runs `dot -Tsvg`. Strings go
// through dot_escape().
#include <string_view>

#include "resolver/explain/markup.h"
#include "resolver/explain/picture.h"
#include "resolver/explain/render.h"

namespace dnsp::resolver {
namespace {

std::string_view colour(Tone t) {
  switch (t) {
    case Tone::Good:
      return "#1a7f37";
    case Tone::Bad:
      return "#cf222e";
    case Tone::Warn:
      return "#9a6700";
    case Tone::Neutral:
      return "#57606a";
  }
  return "#57606a";
}

std::string_view shape(NodeShape s) {
  switch (s) {
    case NodeShape::Anchor:
      return "shape=box, peripheries=2";
    case NodeShape::Ds:
      return "shape=octagon";
    case NodeShape::Ksk:
      return "shape=ellipse, penwidth=2.5";
    case NodeShape::Zsk:
      return "shape=ellipse";
    case NodeShape::Key:
      return "shape=ellipse, style=dotted";
    case NodeShape::Missing:
      return "shape=ellipse, style=dashed";
    case NodeShape::Rrset:
      return "shape=box";
    case NodeShape::Proof:
      return "shape=note";
    case NodeShape::Note:
      return "shape=plaintext";
  }
  return "shape=box";
}

std::string label(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\\n" : "") + dot_escape(lines[i]);
  return out;
}

void node_dot(std::string& out, const PictureNode& n, std::string_view indent) {
  out += std::string(indent) + "\"" + n.id + "\" [label=\"" + label(n.lines) + "\", " +
         std::string(shape(n.shape)) + ", color=\"" + std::string(colour(n.tone)) + "\"" +
         (n.tone == Tone::Bad ? ", penwidth=3" : "") + "];\n";
}

}  // namespace

std::string render_dot(const Report& report) {
  const Picture p = chain_graph(report);
  std::string out = "digraph \"chain of trust\" {\n";
  out += "  label=\"" + dot_escape(p.title) + "\";\n  labelloc=t;\n  rankdir=TB;\n";
  out += "  node [fontname=\"DejaVu Sans Mono\", fontsize=10];\n";
  out += "  edge [fontname=\"DejaVu Sans Mono\", fontsize=9];\n";
  for (const auto& n : p.nodes) {
    if (n.zone < 0) node_dot(out, n, "  ");
  }
  for (size_t i = 0; i < p.zones.size(); ++i) {
    const PictureZone& z = p.zones[i];
    out += "  subgraph \"cluster_" + z.id + "\" {\n    label=\"" + dot_escape(z.name) + "\\n" +
           dot_escape(z.subtitle) + "\";\n    color=\"" + std::string(colour(z.tone)) + "\";\n";
    if (z.dashed) out += "    style=dashed;\n";
    for (const auto& n : p.nodes) {
      if (n.zone == static_cast<int>(i)) node_dot(out, n, "    ");
    }
    out += "  }\n";
  }
  for (const auto& e : p.edges) {
    out +=
        "  \"" + e.from + "\" -> \"" + e.to + "\" [color=\"" + std::string(colour(e.tone)) + "\"";
    if (!e.label.empty()) out += ", label=\"" + dot_escape(e.label) + "\"";
    if (e.dashed) out += ", style=dashed";
    if (e.tone == Tone::Bad) out += ", penwidth=3";
    out += "];\n";
  }
  out += "}\n";
  return out;
}

}  // namespace dnsp::resolver
