//! Placeholder until the macro crate lands.
use proc_macro::TokenStream;
/// Placeholder.
#[proc_macro_attribute]
pub fn route(_attr: TokenStream, item: TokenStream) -> TokenStream { item }
/// Placeholder.
#[proc_macro]
pub fn routes(_item: TokenStream) -> TokenStream { TokenStream::new() }
