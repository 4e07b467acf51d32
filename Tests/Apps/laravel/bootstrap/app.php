<?php
// The application, as a Laravel 8 skeleton's bootstrap/app.php, with its writable paths in $APP_DIR.
$app = new Illuminate\Foundation\Application(dirname(__DIR__));
$app->useStoragePath(getenv('APP_DIR'));
$app->singleton(Illuminate\Contracts\Http\Kernel::class, App\Http\Kernel::class);
$app->singleton(Illuminate\Contracts\Debug\ExceptionHandler::class, Illuminate\Foundation\Exceptions\Handler::class);
$app->booted(function ($app) {
    $app['auth']->provider('fixed', fn () => new App\FixedUsers());
    $app['router']->middleware('web')->group(__DIR__ . '/../app/routes.php');
});
return $app;
