//! The container's CORS policy, so that browsers may read the video from other origins
//! (<https://docs.aws.amazon.com/mediastore/latest/apireference/API_PutCorsPolicy.html>). Rules
//! compare in order; the lists inside a rule compare as sets.

use aws_sdk_mediastore::types::{CorsRule, MethodName};

use crate::apply::event::Change;
use crate::aws::reconcile::{Outputs, Resource};
use crate::aws::{Ctx, aws_error, error_code};
use crate::error::Error;
use crate::plan::ContainerCorsParams;

/// A container CORS step.
pub(crate) struct ContainerCors<'a> {
    p: &'a ContainerCorsParams,
    want: Vec<CorsRule>,
}

impl<'a> ContainerCors<'a> {
    pub(crate) fn new(p: &'a ContainerCorsParams) -> Result<Self, Error> {
        Ok(Self {
            want: cors_rules(p)?,
            p,
        })
    }

    fn name(&self) -> &str {
        self.p.container.as_str()
    }
}

/// Not found: no policy, or (refresh before the container exists) no container.
const ABSENT: [&str; 2] = ["CorsPolicyNotFoundException", "ContainerNotFoundException"];

impl Resource for ContainerCors<'_> {
    /// The live rules in comparable form.
    type Live = Vec<String>;

    async fn read(&self, ctx: &Ctx) -> Result<Option<Self::Live>, Error> {
        match ctx
            .clients
            .mediastore
            .get_cors_policy()
            .container_name(self.name())
            .send()
            .await
        {
            Ok(live) => Ok(Some(live.cors_policy().iter().map(cors_key).collect())),
            Err(e) if error_code(&e).is_some_and(|c| ABSENT.contains(&c)) => Ok(None),
            Err(e) => Err(aws_error("mediastore:GetCorsPolicy", self.name(), e)),
        }
    }

    fn diff(&self, live: &Self::Live) -> Vec<String> {
        let want: Vec<String> = self.want.iter().map(cors_key).collect();
        if *live == want {
            Vec::new()
        } else {
            vec![format!("CORS rules: {live:?} -> {want:?}")]
        }
    }

    fn outputs(&self, _: &Self::Live) -> Outputs {
        Vec::new()
    }

    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        ctx.clients
            .mediastore
            .put_cors_policy()
            .container_name(self.name())
            .set_cors_policy(Some(self.want.clone()))
            .send()
            .await
            .map_err(|e| aws_error("mediastore:PutCorsPolicy", self.name(), e))?;
        Ok(Vec::new())
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _: Self::Live,
        diff: Vec<String>,
    ) -> Result<(Change, Outputs), Error> {
        let outputs = self.create(ctx).await?;
        Ok((Change::Update { diff }, outputs))
    }

    async fn delete(&self, ctx: &Ctx, _: Self::Live) -> Result<Change, Error> {
        match ctx
            .clients
            .mediastore
            .delete_cors_policy()
            .container_name(self.name())
            .send()
            .await
        {
            Ok(_) => Ok(Change::Delete),
            Err(e) if error_code(&e).is_some_and(|c| ABSENT.contains(&c)) => Ok(Change::Absent),
            Err(e) => Err(aws_error("mediastore:DeleteCorsPolicy", self.name(), e)),
        }
    }
}

fn cors_rules(p: &ContainerCorsParams) -> Result<Vec<CorsRule>, Error> {
    p.rules
        .iter()
        .map(|r| {
            CorsRule::builder()
                .set_allowed_origins(Some(
                    r.allowed_origins.iter().map(|o| o.to_string()).collect(),
                ))
                .set_allowed_methods(Some(
                    r.allowed_methods
                        .iter()
                        .map(|m| MethodName::from(m.as_str()))
                        .collect(),
                ))
                .set_allowed_headers(Some(r.allowed_headers.clone()))
                .set_expose_headers(Some(r.expose_headers.clone()))
                .max_age_seconds(r.max_age_seconds as i32)
                .build()
                .map_err(|e| {
                    Error::internal(
                        p.container.as_str(),
                        format!("cannot build the request: {e}"),
                    )
                })
        })
        .collect()
}

fn cors_key(r: &CorsRule) -> String {
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    format!(
        "origins {:?} methods {:?} headers {:?} expose {:?} max-age {:?}",
        sorted(r.allowed_origins().to_vec()),
        sorted(
            r.allowed_methods()
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect()
        ),
        sorted(r.allowed_headers().to_vec()),
        sorted(r.expose_headers().to_vec()),
        r.max_age_seconds()
    )
}
