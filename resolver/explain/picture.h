// The chain of trust as a picture, DNSViz-style: the graph built from a Report (one cluster
// per zone from the trust anchor down; trust anchor, DS, DNSKEY, RRset and denial-proof nodes;
// an edge from each DS to the key it matches and from each signing key to each RRset its
// RRSIGs cover, RFC 4035 §5) and its layout by our own code (a vertical chain of zones, the
// keys in a row inside each). render_dot.cc writes the graph; render_svg.cc draws the layout.
// Text is measured for a monospace font of kFontSize pixels, so every label's box is known.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "resolver/explain/report.h"

namespace dnsp::resolver {

inline constexpr double kFontSize = 12;
inline constexpr double kCharWidth = 7.25;  // a monospace advance at kFontSize, rounded up
inline constexpr double kLineHeight = 15;
inline constexpr size_t kMaxLabelChars = 64;  // longer text is cut with "..." in the picture

// What a colour says: verified, failed, insecure or merely ignored.
enum class Tone : uint8_t { Good, Bad, Warn, Neutral };

enum class NodeShape : uint8_t {
  Anchor,   // the configured trust anchor (or a key entry from the cache)
  Ds,       // one DS record at the parent
  Ksk,      // a DNSKEY with the SEP bit
  Zsk,      // a zone key without it
  Key,      // a DNSKEY that is not a zone key
  Missing,  // a key that a DS or an RRSIG names and the DNSKEY RRset lacks (dangling)
  Rrset,    // a signed RRset: the DNSKEY RRset, an answer RRset
  Proof,    // NSEC/NSEC3 records proving a denial (or no DS: an insecure delegation)
  Note,     // words where a part of the chain is absent ("unsigned zone")
};

struct Box {
  double x = 0;
  double y = 0;
  double w = 0;
  double h = 0;
  double right() const { return x + w; }
  double bottom() const { return y + h; }
  bool contains(const Box& b) const;
  bool overlaps(const Box& b) const;
};

// One line of text and where it is drawn: its box, left-aligned, baseline near the bottom.
enum class TextStyle : uint8_t { Title, Bold, Plain, Small };
struct PictureText {
  std::string text;
  Box box;
  TextStyle style = TextStyle::Plain;
  Tone tone = Tone::Neutral;
};

// Where a node goes: the chain's rows, top to bottom.
enum class Band : uint8_t {
  AnchorRow,  // above the first zone
  Keys,       // a zone's DNSKEYs
  Records,    // a zone's signed records: its DNSKEY RRset, its children's DS, no-DS proofs
  Answer,     // the answer RRsets and denial proofs, below the last zone
};

struct PictureNode {
  std::string id;  // stable and XML-safe: "z1-key-0", "answer-2"
  NodeShape shape = NodeShape::Rrset;
  Tone tone = Tone::Neutral;
  std::vector<std::string> lines;  // the first is the node's name
  int zone = -1;                   // index into Picture::zones; -1 for the anchor row and answer
  Band band = Band::Answer;
  bool dashed = false;  // absent or not validated
  Box box;
  std::vector<PictureText> texts;  // set by lay_out()
};

enum class EdgeKind : uint8_t { Anchors, DsMatch, Rrsig };

struct PictureEdge {
  std::string id;
  std::string from;  // node ids
  std::string to;
  EdgeKind kind = EdgeKind::Rrsig;
  Tone tone = Tone::Neutral;
  std::string label;  // "" for none: "expired 10 days ago", "matches no DNSKEY"
  bool dashed = false;
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;  // set by lay_out()
  PictureText label_text;                 // set by lay_out() when label is not ""
  Box lane;                               // the band of the picture its label stays in
};

struct PictureZone {
  std::string id;  // "z0"
  std::string name;
  Security security = Security::Indeterminate;
  Tone tone = Tone::Neutral;
  std::string subtitle;  // "secure (DS at example.)"
  bool dashed = false;   // insecure or never reached
  Box box;
  std::vector<PictureText> texts;  // its title lines
};

// A legend entry: a node shape or an edge tone, and its words.
struct LegendItem {
  bool edge = false;
  NodeShape shape = NodeShape::Rrset;
  Tone tone = Tone::Neutral;
  bool dashed = false;
  Box swatch;
  PictureText text;
};

struct Picture {
  std::string title;  // "www.example. A: bogus"
  Security verdict = Security::Indeterminate;
  std::vector<PictureZone> zones;  // in the Report's order: from the trust anchor down
  std::vector<PictureNode> nodes;
  std::vector<PictureEdge> edges;
  Box answer_box;                         // holds the Answer band
  std::vector<PictureText> answer_texts;  // its title
  std::vector<LegendItem> legend;
  Box legend_box;
  PictureText title_text;
  double width = 0;
  double height = 0;

  const PictureNode* node(const std::string& id) const;
};

// The graph of `r`, without geometry: zones, nodes and edges in the Report's order.
Picture chain_graph(const Report& r);
// Gives every zone, node, edge and text its box: rows of nodes centred in equal-width zone
// boxes; each edge label on a line of its own in the lane above its edge's target, so no
// two labels overlap and none covers a node.
void lay_out(Picture& p);
// chain_graph() then lay_out().
Picture draw_chain(const Report& r);

// Every text of the picture with the box it must stay inside (a node, zone, edge lane,
// answer area or the legend), for tests and renderers.
struct PlacedText {
  const PictureText* text;
  Box inside;
};
std::vector<PlacedText> all_texts(const Picture& p);

// "www.example." cut to kMaxLabelChars with "..." when longer; its width in pixels.
std::string fit_label(const std::string& s);
double text_width(const std::string& s);

}  // namespace dnsp::resolver
