//! Values a query carries in its DataFusion configuration (its stop signal, its instant), which
//! the service's functions read wherever they run. They are set by the service, never by SQL.

use datafusion::config::ConfigExtension;
use datafusion::execution::SessionState;

/// `state` carrying `value`.
pub fn with<T: ConfigExtension>(mut state: SessionState, value: T) -> SessionState {
    state.config_mut().options_mut().extensions.insert(value);
    state
}

/// Makes `$t` (`Clone`) a config extension under `$prefix` that SQL cannot set.
macro_rules! fixed_extension {
    ($t:ty, $prefix:literal) => {
        impl datafusion::config::ConfigExtension for $t {
            const PREFIX: &'static str = $prefix;
        }

        impl datafusion::config::ExtensionOptions for $t {
            fn as_any(&self) -> &dyn std::any::Any {
                self
            }

            fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
                self
            }

            fn cloned(&self) -> Box<dyn datafusion::config::ExtensionOptions> {
                Box::new(self.clone())
            }

            fn set(&mut self, key: &str, _: &str) -> datafusion::error::Result<()> {
                Err(datafusion::error::DataFusionError::Configuration(format!(
                    "{}.{key} cannot be set",
                    $prefix
                )))
            }

            fn entries(&self) -> Vec<datafusion::config::ConfigEntry> {
                Vec::new()
            }
        }
    };
}

pub(crate) use fixed_extension;
