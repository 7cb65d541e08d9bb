// The layout of the chain picture (picture.h): a vertical chain of equal-width zone boxes,
// each with its keys in one row and its signed records (DNSKEY RRset, children's DS, no-DS
// proofs) in the next; the answer below; the legend last. An edge goes from the bottom of
// its source to the top of its target; its label gets a line of its own in the lane above
// the target's row, so labels never overlap each other or a node.
#include <algorithm>
#include <map>

#include "resolver/explain/picture.h"

namespace dnsp::resolver {
namespace {

constexpr double kMargin = 20;
constexpr double kZonePad = 14;
constexpr double kNodeGap = 18;
constexpr double kPadX = 10;
constexpr double kPadY = 6;
constexpr double kMinLane = 34;    // the gap between two rows without labels
constexpr double kLabelStep = 17;  // one label line in a lane
constexpr double kSwatch = 28;

// A row of nodes: which band of which zone.
struct RowKey {
  Band band;
  int zone;
  bool operator<(const RowKey& o) const { return zone != o.zone ? zone < o.zone : band < o.band; }
};

PictureText text_at(std::string s, double x, double y, TextStyle style, Tone tone) {
  PictureText t;
  t.box = {x, y, text_width(s), kLineHeight};
  t.text = std::move(s);
  t.style = style;
  t.tone = tone;
  return t;
}

class Layout {
 public:
  explicit Layout(Picture& p) : p_(p) {}
  void run();

 private:
  void size_nodes();
  double content_width() const;
  // Places the lane of labels for edges into `row`, then the row itself, from y_; returns
  // whether the row has nodes.
  void lane(const RowKey& row);
  void place_row(const RowKey& row);
  void zone_box(size_t i);
  void answer_area();
  void attach_edges();
  void label_edges();
  void legend();

  Picture& p_;
  std::map<RowKey, std::vector<size_t>> rows_;  // node indexes per row, in graph order
  double x0_ = kMargin + kZonePad;              // the content's left edge
  double w_ = 0;                                // the content's width
  double y_ = kMargin;                          // the next free y
  std::map<RowKey, Box> lanes_;
};

void Layout::size_nodes() {
  for (size_t i = 0; i < p_.nodes.size(); ++i) {
    PictureNode& n = p_.nodes[i];
    double w = 0;
    for (const auto& line : n.lines) w = std::max(w, text_width(line));
    n.box.w = w + 2 * kPadX + (n.shape == NodeShape::Ksk ? 2 * kPadX : 0);
    n.box.h = static_cast<double>(n.lines.size()) * kLineHeight + 2 * kPadY;
    rows_[{n.band, n.zone}].push_back(i);
  }
}

double Layout::content_width() const {
  double w = text_width(p_.title);
  for (const auto& [key, nodes] : rows_) {
    double row = 0;
    for (size_t i : nodes) row += p_.nodes[i].box.w + (row > 0 ? kNodeGap : 0);
    w = std::max(w, row);
  }
  for (const auto& z : p_.zones) {
    w = std::max({w, text_width(z.name), text_width(z.subtitle)});
  }
  for (const auto& e : p_.edges) w = std::max(w, text_width(e.label));
  return std::max(w, 420.0);
}

void Layout::lane(const RowKey& row) {
  size_t labels = 0;
  for (const auto& e : p_.edges) {
    const PictureNode* to = p_.node(e.to);
    if (!e.label.empty() && to != nullptr && to->band == row.band && to->zone == row.zone) {
      ++labels;
    }
  }
  const double h = std::max(kMinLane, static_cast<double>(labels) * kLabelStep + 8);
  lanes_[row] = {x0_, y_, w_, h};
  y_ += h;
}

void Layout::place_row(const RowKey& row) {
  auto it = rows_.find(row);
  if (it == rows_.end()) return;
  double total = 0;
  double h = 0;
  for (size_t i : it->second) {
    total += p_.nodes[i].box.w + (total > 0 ? kNodeGap : 0);
    h = std::max(h, p_.nodes[i].box.h);
  }
  double x = x0_ + (w_ - total) / 2;
  for (size_t i : it->second) {
    PictureNode& n = p_.nodes[i];
    n.box.x = x;
    n.box.y = y_;
    const double inset = n.shape == NodeShape::Ksk ? 2 * kPadX : kPadX;
    for (size_t l = 0; l < n.lines.size(); ++l) {
      n.texts.push_back(text_at(n.lines[l], x + inset, y_ + kPadY + kLineHeight * double(l),
                                l == 0 ? TextStyle::Bold : TextStyle::Plain, n.tone));
    }
    x += n.box.w + kNodeGap;
  }
  y_ += h;
}

void Layout::zone_box(size_t i) {
  const int zi = static_cast<int>(i);
  lane({Band::Keys, zi});
  PictureZone& z = p_.zones[i];
  const double top = y_;
  const double tx = x0_;
  z.texts.push_back(text_at(z.name, tx, top + kZonePad / 2, TextStyle::Title, z.tone));
  z.texts.push_back(
      text_at(z.subtitle, tx, top + kZonePad / 2 + kLineHeight, TextStyle::Small, z.tone));
  y_ = top + kZonePad / 2 + 2 * kLineHeight + 10;
  place_row({Band::Keys, zi});
  if (rows_.count({Band::Records, zi}) != 0) {
    lane({Band::Records, zi});
    place_row({Band::Records, zi});
  }
  y_ += kZonePad;
  z.box = {kMargin, top, w_ + 2 * kZonePad, y_ - top};
}

void Layout::answer_area() {
  const RowKey row{Band::Answer, -1};
  if (rows_.count(row) == 0) return;
  lane(row);
  const double top = y_;
  p_.answer_texts.push_back(
      text_at("answer", x0_, top + kZonePad / 2, TextStyle::Title, Tone::Neutral));
  y_ = top + kZonePad / 2 + kLineHeight + 10;
  place_row(row);
  y_ += kZonePad;
  p_.answer_box = {kMargin, top, w_ + 2 * kZonePad, y_ - top};
}

// Endpoints spread along the bottom of the source and the top of the target, in the order
// of the other ends, so parallel edges do not share a line.
void Layout::attach_edges() {
  std::map<std::string, std::vector<size_t>> out, in;
  for (size_t e = 0; e < p_.edges.size(); ++e) {
    out[p_.edges[e].from].push_back(e);
    in[p_.edges[e].to].push_back(e);
  }
  auto spread = [&](const std::string& id, std::vector<size_t>& edges, bool outgoing) {
    const PictureNode* n = p_.node(id);
    if (n == nullptr) return;
    auto other_x = [&](size_t e) {
      const PictureNode* o = p_.node(outgoing ? p_.edges[e].to : p_.edges[e].from);
      return o == nullptr ? 0.0 : o->box.x + o->box.w / 2;
    };
    std::stable_sort(edges.begin(), edges.end(),
                     [&](size_t a, size_t b) { return other_x(a) < other_x(b); });
    for (size_t k = 0; k < edges.size(); ++k) {
      const double x = n->box.x + n->box.w * double(k + 1) / double(edges.size() + 1);
      PictureEdge& e = p_.edges[edges[k]];
      if (outgoing) {
        e.x1 = x;
        e.y1 = n->box.bottom();
      } else {
        e.x2 = x;
        e.y2 = n->box.y;
      }
    }
  };
  for (auto& [id, edges] : out) spread(id, edges, true);
  for (auto& [id, edges] : in) spread(id, edges, false);
}

void Layout::label_edges() {
  std::map<RowKey, std::vector<size_t>> by_lane;
  for (size_t e = 0; e < p_.edges.size(); ++e) {
    const PictureNode* to = p_.node(p_.edges[e].to);
    if (!p_.edges[e].label.empty() && to != nullptr) by_lane[{to->band, to->zone}].push_back(e);
  }
  for (auto& [row, edges] : by_lane) {
    const Box lane = lanes_[row];
    std::stable_sort(edges.begin(), edges.end(),
                     [&](size_t a, size_t b) { return p_.edges[a].x2 < p_.edges[b].x2; });
    for (size_t k = 0; k < edges.size(); ++k) {
      PictureEdge& e = p_.edges[edges[k]];
      const double y = lane.y + 4 + kLabelStep * double(k);
      const double mid = y + kLineHeight / 2;
      const double t = e.y2 == e.y1 ? 1.0 : std::clamp((mid - e.y1) / (e.y2 - e.y1), 0.0, 1.0);
      const double w = text_width(e.label);
      double x = e.x1 + (e.x2 - e.x1) * t - w / 2;
      x = std::clamp(x, lane.x, std::max(lane.x, lane.right() - w));
      e.label_text = text_at(e.label, x, y, TextStyle::Small, e.tone);
      e.lane = lane;
    }
  }
}

void Layout::legend() {
  struct Entry {
    bool edge;
    NodeShape shape;
    Tone tone;
    bool dashed;
    const char* words;
  };
  static constexpr Entry kEntries[] = {
      {false, NodeShape::Anchor, Tone::Good, false, "trust anchor"},
      {false, NodeShape::Ds, Tone::Good, false, "DS at the parent"},
      {false, NodeShape::Ksk, Tone::Good, false, "KSK (SEP)"},
      {false, NodeShape::Zsk, Tone::Good, false, "ZSK"},
      {false, NodeShape::Rrset, Tone::Good, false, "signed RRset"},
      {false, NodeShape::Proof, Tone::Good, false, "NSEC/NSEC3 proof"},
      {false, NodeShape::Missing, Tone::Bad, true, "missing key"},
      {true, NodeShape::Rrset, Tone::Good, false, "verified / matches"},
      {true, NodeShape::Rrset, Tone::Bad, false, "failed"},
      {true, NodeShape::Rrset, Tone::Warn, false, "insecure / unused"},
      {true, NodeShape::Rrset, Tone::Neutral, true, "not checked"},
  };
  y_ += 16;
  const double top = y_;
  double x = x0_;
  y_ += 8;
  for (const auto& entry : kEntries) {
    const double w = kSwatch + 6 + text_width(entry.words);
    if (x > x0_ && x + w > x0_ + w_) {
      x = x0_;
      y_ += kLineHeight + 8;
    }
    LegendItem item{
        entry.edge, entry.shape, entry.tone, entry.dashed, Box{x, y_ + 1, kSwatch, kLineHeight - 2},
        {}};
    item.text = text_at(entry.words, x + kSwatch + 6, y_, TextStyle::Small, Tone::Neutral);
    p_.legend.push_back(std::move(item));
    x += w + 20;
  }
  y_ += kLineHeight + 8;
  p_.legend_box = {kMargin, top, w_ + 2 * kZonePad, y_ - top};
}

void Layout::run() {
  size_nodes();
  w_ = content_width();
  p_.title_text = text_at(p_.title, x0_, y_, TextStyle::Title, Tone::Neutral);
  y_ += kLineHeight + 6;
  if (rows_.count({Band::AnchorRow, -1}) != 0) place_row({Band::AnchorRow, -1});
  for (size_t i = 0; i < p_.zones.size(); ++i) zone_box(i);
  answer_area();
  attach_edges();
  label_edges();
  legend();
  p_.width = w_ + 2 * kZonePad + 2 * kMargin;
  p_.height = y_ + kMargin;
}

}  // namespace

void lay_out(Picture& p) { Layout(p).run(); }

std::vector<PlacedText> all_texts(const Picture& p) {
  const Box whole{0, 0, p.width, p.height};
  std::vector<PlacedText> out{{&p.title_text, whole}};
  for (const auto& z : p.zones) {
    for (const auto& t : z.texts) out.push_back({&t, z.box});
  }
  for (const auto& n : p.nodes) {
    for (const auto& t : n.texts) out.push_back({&t, n.box});
  }
  for (const auto& e : p.edges) {
    if (!e.label.empty()) out.push_back({&e.label_text, e.lane});
  }
  for (const auto& t : p.answer_texts) out.push_back({&t, p.answer_box});
  for (const auto& l : p.legend) out.push_back({&l.text, p.legend_box});
  return out;
}

}  // namespace dnsp::resolver
