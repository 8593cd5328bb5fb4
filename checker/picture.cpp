#include "checker/picture.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace cow {

namespace {

std::string pte_flags(const PteView& p) {
  std::string kind =
      p.kind == MapKind::PrivateAnon ? "" : fmt::format(" {}", map_kind_name(p.kind));
  if (p.slot != kNoSlot) return "swapped" + kind;
  if (!p.present) return "-" + kind;
  return std::string(p.writable ? "rw" : "r-") + (p.cow ? " cow" : "") +
         (p.exclusive ? " excl" : "") + kind;
}

// A picture is for a reader: past this many mapped pages a process's table
// is cut short (the rest counted, --show prints them all), so drawing a
// state costs what is drawn, and graphviz is never handed a million nodes.
constexpr std::size_t kMaxPagesDrawn = 32;

// One cluster: the processes on the left, the frames they map on the right.
void draw_state(std::string& dot, int step, const std::string& title, const Snapshot& s,
                bool failing) {
  dot += fmt::format("  subgraph cluster_{} {{\n    label=<{}>; labeljust=l; color={};{}\n", step,
                     title, failing ? "red" : "gray", failing ? " penwidth=2; fontcolor=red;" : "");
  for (const ProcView& p : s.procs)
    if (p.space != p.pid)  // a vfork child: an arrow to the space it borrows
      dot += fmt::format(
          "    s{}_v{} [shape=box, label=\"pid {} (vfork)\"];\n    s{}_v{} -> s{}_p{} "
          "[style=dashed, label=\"runs in\"];\n",
          step, p.pid, p.pid, step, p.pid, step, p.space);
  // `ptes` is sorted by pid: one pass draws each table and picks what it maps.
  std::vector<const PteView*> drawn;
  std::set<Pfn> frames;
  std::set<Slot> slots;
  std::size_t not_drawn = 0;
  for (std::size_t i = 0; i < s.ptes.size();) {
    Pid pid = s.ptes[i].pid;
    dot += fmt::format(
        "    s{}_p{} [label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\">"
        "<tr><td colspan=\"2\" bgcolor=\"lightblue\"><b>pid {}</b></td></tr>",
        step, pid, pid);
    std::size_t rows = 0, more = 0;
    for (; i < s.ptes.size() && s.ptes[i].pid == pid; ++i) {
      const PteView& p = s.ptes[i];
      if (p.kind == MapKind::None) continue;
      if (rows == kMaxPagesDrawn) {
        ++more;
        continue;
      }
      ++rows;
      drawn.push_back(&p);
      if (p.present) frames.insert(p.frame);
      if (p.slot != kNoSlot) slots.insert(p.slot);
      dot += fmt::format("<tr><td>vpn {}</td><td port=\"v{}\">{}</td></tr>", p.vpn, p.vpn,
                         pte_flags(p));
    }
    if (more > 0) dot += fmt::format("<tr><td colspan=\"2\">and {} more pages</td></tr>", more);
    not_drawn += more;
    dot += "</table>>];\n";
  }
  for (const PinView& pin : s.pins) frames.insert(pin.frame);
  for (const FrameView& f : s.frames)
    if (frames.contains(f.frame))
      dot += fmt::format(
          "    s{}_f{} [label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\">"
          "<tr><td bgcolor=\"{}\"><b>frame {}</b></td></tr><tr><td>refcount {}</td></tr>"
          "<tr><td>{}</td></tr></table>>];\n",
          step, f.frame, f.refcount > 1 ? "khaki" : "palegreen", f.frame, f.refcount,
          to_string(f.contents));
  for (const SlotView& v : s.slots)
    if (slots.contains(v.slot))
      dot += fmt::format(
          "    s{}_s{} [shape=box, style=rounded, label=\"swap slot {}\\nrefcount {}\\n{}\"];\n",
          step, v.slot, v.slot, v.refcount, to_string(v.contents));
  for (const PinView& pin : s.pins)
    dot += fmt::format(
        "    s{}_pin{} [shape=cds, label=\"pin {}{}\"];\n    s{}_pin{} -> s{}_f{}:w "
        "[color=purple];\n",
        step, pin.id, pin.id, pin.rw ? " rw" : "", step, pin.id, step, pin.frame);
  for (const PteView* p : drawn) {
    if (p->present)
      dot += fmt::format("    s{}_p{}:v{}:e -> s{}_f{}:w{};\n", step, p->pid, p->vpn, step,
                         p->frame, p->writable ? "" : " [style=dashed]");
    if (p->slot != kNoSlot)
      dot += fmt::format("    s{}_p{}:v{}:e -> s{}_s{} [style=dotted];\n", step, p->pid, p->vpn,
                         step, p->slot);
  }
  std::string cut = not_drawn > 0 ? fmt::format("\\n{} pages not drawn", not_drawn) : "";
  dot += fmt::format("    s{}_free [shape=note, label=\"free frames: {} of {}{}\"];\n  }}\n", step,
                     s.free_frames, s.total_frames, cut);
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

}  // namespace

void ReplayPicture::initial(const Snapshot& state) {
  std::string cluster;
  draw_state(cluster, 0, "before the first op", state, false);
  clusters_.push_back(std::move(cluster));
}

void ReplayPicture::step(std::size_t number, const std::string& op, const std::string& outcome,
                         const Snapshot* after, const Violation* failing) {
  std::string title = fmt::format("step {}: {} &rarr; {}", number, escape(op), escape(outcome));
  if (failing) title += "<br/>" + escape(to_string(*failing));
  std::string cluster;
  if (after)
    draw_state(cluster, static_cast<int>(number), title, *after, failing != nullptr);
  else  // it stopped: no state after it, but the step is part of the story
    cluster = fmt::format(
        "  subgraph cluster_{} {{\n    label=<{}>; labeljust=l; color=red; "
        "penwidth=2; fontcolor=red;\n    s{}_stopped [shape=note, label=\"no state: "
        "the implementation stopped\"];\n  }}\n",
        number, title, number);
  clusters_.push_back(std::move(cluster));
}

void ReplayPicture::lanes(const RaceProgram& program, const RaceTrace& trace) {
  std::string dot =
      "digraph cowcheck {\n  rankdir=TB; newrank=true; fontname=\"monospace\";\n"
      "  node [shape=box, fontname=\"monospace\", fontsize=10]; edge [arrowsize=0.6];\n";
  std::vector<std::vector<std::size_t>> by_lane(program.lanes.size());
  for (std::size_t i = 0; i < trace.steps.size(); ++i) by_lane[trace.steps[i].lane].push_back(i);
  for (std::size_t lane = 0; lane < by_lane.size(); ++lane) {
    dot += fmt::format("  subgraph cluster_lane{} {{ label=\"lane {}\";\n", lane, lane);
    for (std::size_t i : by_lane[lane]) {
      const RaceStep& s = trace.steps[i];
      std::string text =
          fmt::format("{}. {}\\n{}{}", i + 1, to_string(program.lanes[s.lane][s.op_index]),
                      s.starts ? "start" : std::string(model::pc_name(s.pc)),
                      s.returned ? " -> " + to_string(*s.returned) : "");
      bool failing = trace.violation && i + 1 == trace.violation_step;
      dot += fmt::format("    s{} [label=\"{}\"{}];\n", i, text,
                         failing ? ", color=red, fontcolor=red" : "");
    }
    for (std::size_t k = 1; k < by_lane[lane].size(); ++k)
      dot += fmt::format("    s{} -> s{};\n", by_lane[lane][k - 1], by_lane[lane][k]);
    dot += "  }\n";
  }
  // Time runs down the page: each step a rank of its own.
  for (std::size_t i = 1; i < trace.steps.size(); ++i)
    dot += fmt::format("  s{} -> s{} [style=invis];\n", i - 1, i);
  if (trace.violation)
    dot += fmt::format("  violation [shape=note, color=red, fontcolor=red, label=\"{}\"];\n",
                       escape(to_string(*trace.violation)));
  lanes_ = dot + "}\n";
}

std::string ReplayPicture::dot() const {
  if (!lanes_.empty()) return lanes_;
  std::string dot =
      "digraph cowcheck {\n  rankdir=LR; compound=true; fontname=\"monospace\";\n"
      "  node [shape=plaintext, fontname=\"monospace\"]; edge [arrowsize=0.7];\n";
  // Graphviz stacks later clusters above earlier ones: emit the last step
  // first so the picture reads from the top down.
  for (auto it = clusters_.rbegin(); it != clusters_.rend(); ++it) dot += *it;
  return dot + "}\n";
}

std::string dot_to_svg(const std::string& dot) {
  char dot_path[] = "/tmp/cowcheck-XXXXXX.dot";
  int fd = ::mkstemps(dot_path, 4);
  if (fd < 0) throw std::runtime_error("cannot create a temporary file for graphviz");
  ::close(fd);
  std::ofstream(dot_path) << dot;
  std::string command = fmt::format("dot -Tsvg '{}' 2>&1", dot_path);
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string svg;
  if (pipe) {
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) svg.append(buffer, n);
  }
  int status = pipe ? ::pclose(pipe) : -1;
  std::filesystem::remove(dot_path);
  if (status != 0)
    throw std::runtime_error("graphviz 'dot' failed (is graphviz installed?): " +
                             svg.substr(0, 300));
  return svg;
}

}  // namespace cow
