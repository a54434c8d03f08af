//! Processing components: reshaping and rescaling values without learning anything.

percept_catalogue::__builtins!(declare_family, Process);
