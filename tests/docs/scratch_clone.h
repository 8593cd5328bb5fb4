// A throw-away copy of the repository's tracked files, in which documented
// commands can run as in a fresh clone without touching the real tree: the
// build's binary folder is reachable as build/, HOME is a folder of its own,
// and git records the copy so that any change to a tracked file shows.
#pragma once

#include <filesystem>
#include <string>

namespace cowcheck::docs {

struct CommandResult {
  int status = -1;     // exit status, or 128 + the signal that ended it
  std::string output;  // stdout and stderr, interleaved
};

class ScratchClone {
 public:
  // Copies the files git tracks in source (as they are in the working tree,
  // so uncommitted edits are what gets tested) and commits them in a new
  // repository. Throws std::runtime_error naming what failed.
  ScratchClone(const std::filesystem::path& source, const std::filesystem::path& binary_dir);
  ~ScratchClone();
  ScratchClone(const ScratchClone&) = delete;
  ScratchClone& operator=(const ScratchClone&) = delete;

  const std::filesystem::path& tree() const { return tree_; }
  const std::filesystem::path& home() const { return home_; }

  // Runs one command line with bash, from the root of the copy, HOME set to home().
  CommandResult run(const std::string& command) const;

  // `git status --porcelain` of the copy: tracked files changed or deleted,
  // and new files that .gitignore does not cover. Empty when clean.
  std::string changes() const;

 private:
  void set_up(const std::filesystem::path& source, const std::filesystem::path& binary_dir);

  std::filesystem::path dir_;  // holds tree_, home_ and the commands' scripts and output
  std::filesystem::path tree_;
  std::filesystem::path home_;
};

}  // namespace cowcheck::docs
