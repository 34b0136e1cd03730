//! gRPC stubs for Protobuf services: per service a server trait, a `{Service}Server<H>` that
//! routes `/package.Service/Method` to it (a `tower` service over
//! `kit_runtime::grpc::ServerCall`), and a cloneable `{Service}Client<C>`.

use crate::tokens::format_ident;
use crate::tokens::Tokens;

use crate::tokens::quote;

use kit_idl::ir::{Def, DefKind, Language, Method};

use crate::context::Context;
use crate::ident;
use crate::types::{docs, id};

impl Context<'_> {
    /// The stubs for `def` if it is a Protobuf service; nothing otherwise.
    pub fn gen_grpc_service(&self, def: &Def) -> Tokens {
        let DefKind::Service(svc) = &def.kind else {
            return Tokens::new();
        };
        if self.ir.file(def.file).language == Language::Thrift {
            return Tokens::new();
        }
        let from = self.layout.def_module(def.id).clone();
        let rt = quote!(__rt::grpc);
        let trait_name = id(&ident::type_name(&def.name));
        let server = format_ident!(
            "{}Server",
            ident::type_name(&def.name).trim_start_matches("r#")
        );
        let client = format_ident!(
            "{}Client",
            ident::type_name(&def.name).trim_start_matches("r#")
        );
        let full_name = &def.full_name;
        let doc = docs(&def.docs);
        let server_doc = format!(
            " Serves a [`{}`] implementation as `{full_name}`: routes `/{full_name}/<Method>`; unknown methods get `UNIMPLEMENTED`.",
            trait_name
        );
        let client_doc = format!(" Client of `{full_name}`: cheap to clone, calls through any `kit_runtime::grpc` client service (a `Channel` or middleware around one).");

        let mut trait_methods = Vec::new();
        let mut arms = Vec::new();
        let mut client_methods = Vec::new();
        for m in &svc.methods {
            let fn_name = id(&ident::field_name(&m.name));
            let input = self.rust_type(&from, &m.args[0].ty);
            let output = match &m.result {
                Some(t) => self.rust_type(&from, t),
                None => quote!(()),
            };
            let path = format!("/{full_name}/{}", m.name);
            let mdoc = docs(&m.docs);
            let (req_ty, resp_ty, helper) = kinds(m, &rt, &input, &output);
            trait_methods.push(quote! {
                #mdoc
                fn #fn_name(
                    &self,
                    request: #rt::Request<#req_ty>,
                ) -> impl __rt::Future<
                    Output = __rt::Result<#rt::Response<#resp_ty>, #rt::Status>,
                > + __rt::Send {
                    async move {
                        let _ = request;
                        __rt::Err(#rt::Status::unimplemented(#path))
                    }
                }
            });
            arms.push(quote! {
                #path => __rt::Box::pin(#rt::server::#helper(call, move |r| async move {
                    h.#fn_name(r).await
                })),
            });
            let client_fn = if m.client_streaming {
                let resp = if m.server_streaming {
                    quote!(#rt::Streaming<#output>)
                } else {
                    quote!(#output)
                };
                quote! {
                    #mdoc
                    pub async fn #fn_name<S>(
                        &self,
                        request: #rt::Request<S>,
                    ) -> __rt::Result<#rt::Response<#resp>, #rt::Status>
                    where
                        S: #rt::Stream<Item = #input> + __rt::Send + 'static,
                    {
                        #rt::client::#helper(&self.inner, #path, request).await
                    }
                }
            } else {
                let resp = if m.server_streaming {
                    quote!(#rt::Streaming<#output>)
                } else {
                    quote!(#output)
                };
                quote! {
                    #mdoc
                    pub async fn #fn_name(
                        &self,
                        request: #rt::Request<#input>,
                    ) -> __rt::Result<#rt::Response<#resp>, #rt::Status> {
                        #rt::client::#helper(&self.inner, #path, request).await
                    }
                }
            };
            client_methods.push(client_fn);
        }
        let call_body = if arms.is_empty() {
            quote!(#rt::server::unimplemented(&call))
        } else {
            quote! {
                let h = self.handler.clone();
                match call.path.as_str() {
                    #(#arms)*
                    _ => #rt::server::unimplemented(&call),
                }
            }
        };
        quote! {
            #doc
            pub trait #trait_name: __rt::Send + __rt::Sync + 'static {
                #(#trait_methods)*
            }

            #[doc = #server_doc]
            #[derive(Debug)]
            pub struct #server<H> {
                handler: ::std::sync::Arc<H>,
            }

            impl<H> ::std::clone::Clone for #server<H> {
                fn clone(&self) -> Self {
                    #server { handler: self.handler.clone() }
                }
            }

            impl<H: #trait_name> #server<H> {
                /// Serves `handler`.
                pub fn new(handler: H) -> Self {
                    #server { handler: ::std::sync::Arc::new(handler) }
                }
                /// Serves a shared handler.
                pub fn from_arc(handler: ::std::sync::Arc<H>) -> Self {
                    #server { handler }
                }
            }

            impl<H: #trait_name> #rt::NamedService for #server<H> {
                const NAME: &'static str = #full_name;
            }

            impl<H: #trait_name> #rt::Service<#rt::ServerCall> for #server<H> {
                type Response = #rt::ServerReply;
                type Error = #rt::Status;
                type Future = #rt::BoxFuture<__rt::Result<#rt::ServerReply, #rt::Status>>;

                fn poll_ready(
                    &mut self,
                    _cx: &mut ::std::task::Context<'_>,
                ) -> ::std::task::Poll<__rt::Result<(), #rt::Status>> {
                    ::std::task::Poll::Ready(__rt::Ok(()))
                }

                fn call(&mut self, call: #rt::ServerCall) -> Self::Future {
                    #call_body
                }
            }

            #[doc = #client_doc]
            #[derive(Clone, Debug)]
            pub struct #client<C = #rt::Channel> {
                inner: C,
            }

            impl<C> #client<C>
            where
                C: #rt::client::GrpcClient,
                C::Future: __rt::Send,
            {
                /// Calls through `inner`.
                pub fn new(inner: C) -> Self {
                    #client { inner }
                }
                /// The underlying client service.
                pub fn inner(&self) -> &C {
                    &self.inner
                }
                #(#client_methods)*
            }
        }
    }
}

/// Request type, response type (as in the server trait) and runtime helper name of a method.
fn kinds(
    m: &Method,
    rt: &Tokens,
    input: &Tokens,
    output: &Tokens,
) -> (Tokens, Tokens, crate::tokens::Ident) {
    let req = if m.client_streaming {
        quote!(#rt::Streaming<#input>)
    } else {
        input.clone()
    };
    let resp = if m.server_streaming {
        quote!(#rt::BoxStream<#output>)
    } else {
        output.clone()
    };
    let helper = match (m.client_streaming, m.server_streaming) {
        (false, false) => "unary",
        (false, true) => "server_streaming",
        (true, false) => "client_streaming",
        (true, true) => "streaming",
    };
    (req, resp, crate::tokens::Ident::from_static(helper))
}
