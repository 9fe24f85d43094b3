from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = "Posts"

    def ready(self) -> None:
        from accounts import hooks
        from posts.services import posts_user_deleting

        hooks.on_user_delete(posts_user_deleting)
