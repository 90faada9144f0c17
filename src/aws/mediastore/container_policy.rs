//! The container policy, which lets the distribution, and only it, read the container over HTTPS
//! (<https://docs.aws.amazon.com/mediastore/latest/ug/policies.html>).

use crate::apply::event::Change;
use crate::aws::policy_document::policy_diff;
use crate::aws::reconcile::{Outputs, Resource};
use crate::aws::{Ctx, aws_error, error_code};
use crate::error::Error;
use crate::plan::PolicyParams;

/// A container policy step.
pub(crate) struct ContainerPolicy<'a> {
    p: &'a PolicyParams,
    /// The document, once the values of earlier steps are known (refresh may not know them yet).
    want: Option<String>,
}

impl<'a> ContainerPolicy<'a> {
    pub(crate) fn new(p: &'a PolicyParams, want: Option<serde_json::Value>) -> Self {
        Self {
            p,
            want: want.map(|doc| doc.to_string()),
        }
    }

    async fn put(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        ctx.clients
            .mediastore
            .put_container_policy()
            .container_name(&self.p.target)
            .policy(self.want.clone().unwrap_or_default())
            .send()
            .await
            .map_err(|e| aws_error("mediastore:PutContainerPolicy", &self.p.target, e))?;
        Ok(Vec::new())
    }
}

/// Not found: no policy, or (refresh before the container exists) no container.
const ABSENT: [&str; 2] = ["PolicyNotFoundException", "ContainerNotFoundException"];

impl Resource for ContainerPolicy<'_> {
    /// The live policy document.
    type Live = String;

    async fn read(&self, ctx: &Ctx) -> Result<Option<String>, Error> {
        match ctx
            .clients
            .mediastore
            .get_container_policy()
            .container_name(&self.p.target)
            .send()
            .await
        {
            Ok(o) => Ok(Some(o.policy().to_owned())),
            Err(e) if error_code(&e).is_some_and(|c| ABSENT.contains(&c)) => Ok(None),
            Err(e) => Err(aws_error(
                "mediastore:GetContainerPolicy",
                &self.p.target,
                e,
            )),
        }
    }

    fn diff(&self, live: &String) -> Vec<String> {
        policy_diff(live, self.want.as_deref())
    }

    fn outputs(&self, _: &String) -> Outputs {
        Vec::new()
    }

    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        self.put(ctx).await
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _: String,
        diff: Vec<String>,
    ) -> Result<(Change, Outputs), Error> {
        let outputs = self.put(ctx).await?;
        Ok((Change::Update { diff }, outputs))
    }

    async fn delete(&self, ctx: &Ctx, _: String) -> Result<Change, Error> {
        match ctx
            .clients
            .mediastore
            .delete_container_policy()
            .container_name(&self.p.target)
            .send()
            .await
        {
            Ok(_) => Ok(Change::Delete),
            Err(e) if error_code(&e).is_some_and(|c| ABSENT.contains(&c)) => Ok(Change::Absent),
            Err(e) => Err(aws_error(
                "mediastore:DeleteContainerPolicy",
                &self.p.target,
                e,
            )),
        }
    }
}
