"""Settings for every command: ``crm.toml`` + ``CRM_*`` + flags -> :class:`Settings` (see :mod:`.settings`;
the values' checks in :mod:`.checks`)."""

from .load import ENV_VARS, find_config, load_settings, read_config
from .checks import INPUTS, LANGS, SCHEMES, parse_date
from .settings import CONFIG_NAME, DEFAULT_OUTPUT, KEYS, Key, Settings, check_value
from .template import EXAMPLE_CONFIG, init_config, render_example_config

__all__ = ["CONFIG_NAME", "DEFAULT_OUTPUT", "ENV_VARS", "EXAMPLE_CONFIG", "INPUTS", "KEYS", "LANGS", "SCHEMES", "Key",
           "Settings", "check_value", "find_config", "init_config", "load_settings", "parse_date", "read_config",
           "render_example_config"]
