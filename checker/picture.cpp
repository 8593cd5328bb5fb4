#include "checker/picture.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace cow {

namespace {

std::string pte_flags(const PteView& p) {
  std::string kind = p.kind == MapKind::PrivateAnon ? "" : fmt::format(" {}", map_kind_name(p.kind));
  if (p.slot != kNoSlot) return "swapped" + kind;
  if (!p.present) return "-" + kind;
  return std::string(p.writable ? "rw" : "r-") + (p.cow ? " cow" : "") +
         (p.exclusive ? " excl" : "") + kind;
}

// One cluster: the processes on the left, the frames on the right.
void draw_state(std::string& dot, int step, const std::string& title, const Snapshot& s,
                bool failing) {
  dot += fmt::format("  subgraph cluster_{} {{\n    label=<{}>; labeljust=l; color={};{}\n", step,
                     title, failing ? "red" : "gray",
                     failing ? " penwidth=2; fontcolor=red;" : "");
  std::set<Pid> pids;
  for (const PteView& p : s.ptes) pids.insert(p.pid);
  for (const ProcView& p : s.procs)
    if (p.space != p.pid)  // a vfork child: an arrow to the space it borrows
      dot += fmt::format("    s{}_v{} [shape=box, label=\"pid {} (vfork)\"];\n    s{}_v{} -> s{}_p{} "
                         "[style=dashed, label=\"runs in\"];\n",
                         step, p.pid, p.pid, step, p.pid, step, p.space);
  for (Pid pid : pids) {
    dot += fmt::format(
        "    s{}_p{} [label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\">"
        "<tr><td colspan=\"2\" bgcolor=\"lightblue\"><b>pid {}</b></td></tr>",
        step, pid, pid);
    for (const PteView& p : s.ptes)
      if (p.pid == pid && p.kind != MapKind::None)
        dot += fmt::format("<tr><td>vpn {}</td><td port=\"v{}\">{}</td></tr>", p.vpn, p.vpn,
                           pte_flags(p));
    dot += "</table>>];\n";
  }
  for (const FrameView& f : s.frames)
    dot += fmt::format(
        "    s{}_f{} [label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\">"
        "<tr><td bgcolor=\"{}\"><b>frame {}</b></td></tr><tr><td>refcount {}</td></tr>"
        "<tr><td>{}</td></tr></table>>];\n",
        step, f.frame, f.refcount > 1 ? "khaki" : "palegreen", f.frame, f.refcount,
        to_string(f.contents));
  for (const SlotView& v : s.slots)
    dot += fmt::format("    s{}_s{} [shape=box, style=rounded, label=\"swap slot {}\\nrefcount {}\\n{}\"];\n",
                       step, v.slot, v.slot, v.refcount, to_string(v.contents));
  for (const PinView& pin : s.pins)
    dot += fmt::format("    s{}_pin{} [shape=cds, label=\"pin {}{}\"];\n    s{}_pin{} -> s{}_f{}:w "
                       "[color=purple];\n",
                       step, pin.id, pin.id, pin.rw ? " rw" : "", step, pin.id, step, pin.frame);
  for (const PteView& p : s.ptes) {
    if (p.present)
      dot += fmt::format("    s{}_p{}:v{}:e -> s{}_f{}:w{};\n", step, p.pid, p.vpn, step, p.frame,
                         p.writable ? "" : " [style=dashed]");
    if (p.slot != kNoSlot)
      dot += fmt::format("    s{}_p{}:v{}:e -> s{}_s{} [style=dotted];\n", step, p.pid, p.vpn, step,
                         p.slot);
  }
  dot += fmt::format("    s{}_free [shape=note, label=\"free frames: {} of {}\"];\n  }}\n", step,
                     s.free_frames, s.total_frames);
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

}  // namespace

std::string trace_to_dot(const std::optional<Snapshot>& initial, const Trace& trace) {
  std::string dot =
      "digraph cowcheck {\n  rankdir=LR; compound=true; fontname=\"monospace\";\n"
      "  node [shape=plaintext, fontname=\"monospace\"]; edge [arrowsize=0.7];\n";
  // Graphviz stacks later clusters above earlier ones: emit the last step
  // first so the picture reads from the top down.
  for (std::size_t i = trace.steps.size(); i-- > 0;) {
    const TraceStep& step = trace.steps[i];
    bool failing = trace.violation && i + 1 == trace.steps.size();
    std::string title = fmt::format("step {}: {} &rarr; {}", i + 1, to_string(step.op),
                                    failing && is_stop(trace.violation->id)
                                        ? std::string(invariant_name(trace.violation->id))
                                        : to_string(step.outcome));
    if (failing) title += "<br/>" + escape(to_string(*trace.violation));
    if (step.after) draw_state(dot, static_cast<int>(i + 1), title, *step.after, failing);
  }
  if (initial) draw_state(dot, 0, "before the first op", *initial, false);
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
    throw std::runtime_error("graphviz 'dot' failed (is graphviz installed?): " + svg.substr(0, 300));
  return svg;
}

}  // namespace cow
